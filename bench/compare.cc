#include "compare.h"

#include <algorithm>
#include <cstdio>

namespace durastore::bench {
namespace {

constexpr const char* kSubject = "durastore";

std::string Ratio(double r) {
  char s[32];
  std::snprintf(s, sizeof(s), "%.2fx", r);
  return s;
}

// "0.91x [0.85-1.02]", or "-" without repetitions.
std::string SpreadText(const std::vector<double>& ratios) {
  if (ratios.empty()) return "-";
  Spread s = SpreadOf(ratios);
  char text[64];
  std::snprintf(text, sizeof(text), "%.2fx [%.2f-%.2f]", s.median, s.min, s.max);
  return text;
}

// A figure that may not have been counted (< 0): "n/a".
std::string Counted(double v, const char* format) {
  if (v < 0) return "n/a";
  char s[32];
  std::snprintf(s, sizeof(s), format, v);
  return s;
}

nlohmann::json SpreadJson(const Spread& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}};
}

nlohmann::json ProbeJson(const FdatasyncProbe& p) {
  return {{"p50_us", p.p50_us}, {"p90_us", p.p90_us}, {"max_us", p.max_us}};
}

}  // namespace

Spread SpreadOf(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

void Comparison::Add(int rep, const Outcome& o) {
  Figures f;
  f.ops_per_sec = o.ops_per_sec();
  f.p50_us = static_cast<double>(o.run.latency_us.Percentile(0.50));
  f.p99_us = static_cast<double>(o.run.latency_us.Percentile(0.99));
  if (o.run.has_flushes) f.flushes_per_commit = o.PerCommit(static_cast<double>(o.run.flushes));
  if (o.run.has_write_bytes) {
    f.device_bytes_per_commit = o.PerCommit(static_cast<double>(o.run.write_bytes));
  }
  if (o.run.has_disk_bytes) {
    f.disk_bytes_per_commit = o.PerCommit(static_cast<double>(o.run.disk_bytes));
  }
  f.cpu_us_per_commit = o.PerCommit(o.run.cpu_s * 1e6);
  Reps& reps = points_[o.config.writers][o.config.engine];
  if (reps.size() <= static_cast<size_t>(rep)) reps.resize(static_cast<size_t>(rep) + 1);
  reps[static_cast<size_t>(rep)] = f;
}

std::vector<std::string> Comparison::Baselines() const {
  std::vector<std::string> out;
  for (const auto& e : engines_) {
    if (e != kSubject) out.push_back(e);
  }
  return out;
}

std::vector<double> Comparison::Ratios(int writers, const std::string& baseline) const {
  std::vector<double> out;
  auto point = points_.find(writers);
  if (point == points_.end()) return out;
  auto subject = point->second.find(kSubject);
  auto base = point->second.find(baseline);
  if (subject == point->second.end() || base == point->second.end()) return out;
  const size_t n = std::min(subject->second.size(), base->second.size());
  for (size_t r = 0; r < n; ++r) {
    const double b = base->second[r].ops_per_sec;
    if (b > 0) out.push_back(subject->second[r].ops_per_sec / b);
  }
  return out;
}

void Comparison::PrintRepetition(int writers, int rep) const {
  std::printf("ratios writers=%d repetition %d/%d:", writers, rep + 1, repeat_);
  for (const auto& b : Baselines()) {
    std::vector<double> ratios = Ratios(writers, b);
    std::printf("  %s/%s %s", kSubject, b.c_str(),
                ratios.size() > static_cast<size_t>(rep)
                    ? Ratio(ratios[static_cast<size_t>(rep)]).c_str()
                    : "-");
  }
  std::printf("\n");
}

void Comparison::PrintSummary(const FdatasyncProbe& before, const FdatasyncProbe& after) const {
  std::printf(
      "\nsummary: %s, %d repetition(s) per point, engines interleaved; medians over "
      "repetitions\n",
      workload_.c_str(), repeat_);
  std::printf("%7s %-9s %10s %8s %8s %14s %16s %17s %13s\n", "writers", "engine", "commits/s",
              "p50 us", "p99 us", "flushes/commit", "dev bytes/commit", "disk bytes/commit",
              "cpu us/commit");
  for (const auto& [writers, engines] : points_) {
    for (const auto& e : engines_) {
      auto it = engines.find(e);
      if (it == engines.end()) continue;
      auto median = [&](double Figures::*field) {
        std::vector<double> v;
        for (const Figures& f : it->second) v.push_back(f.*field);
        return SpreadOf(v).median;
      };
      std::printf("%7d %-9s %10.0f %8.0f %8.0f %14s %16s %17s %13.1f\n", writers, e.c_str(),
                  median(&Figures::ops_per_sec), median(&Figures::p50_us), median(&Figures::p99_us),
                  Counted(median(&Figures::flushes_per_commit), "%.3f").c_str(),
                  Counted(median(&Figures::device_bytes_per_commit), "%.0f").c_str(),
                  Counted(median(&Figures::disk_bytes_per_commit), "%.0f").c_str(),
                  median(&Figures::cpu_us_per_commit));
    }
  }
  const std::vector<std::string> baselines = Baselines();
  if (!baselines.empty()) {
    std::printf(
        "%s commits/s over each baseline's, median [min-max] of the per-repetition "
        "ratios:\n%7s",
        kSubject, "writers");
    for (const auto& b : baselines)
      std::printf("  %-22s", (std::string(kSubject) + "/" + b).c_str());
    std::printf("\n");
    for (const auto& point : points_) {
      std::printf("%7d", point.first);
      for (const auto& b : baselines) {
        std::printf("  %-22s", SpreadText(Ratios(point.first, b)).c_str());
      }
      std::printf("\n");
    }
  }
  std::printf(
      "fdatasync probe (4 KiB pwrite + fdatasync, 200 times): p50 %.0f us before, "
      "%.0f us after (p90 %.0f / %.0f us)\n",
      before.p50_us, after.p50_us, before.p90_us, after.p90_us);
}

nlohmann::json Comparison::ToJson(const FdatasyncProbe& before, const FdatasyncProbe& after) const {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [writers, engines] : points_) {
    nlohmann::json per_engine = nlohmann::json::object();
    for (const auto& [engine, reps] : engines) {
      std::vector<double> ops, p50, flushes, bytes, disk, cpu;
      for (const Figures& f : reps) {
        ops.push_back(f.ops_per_sec);
        p50.push_back(f.p50_us);
        flushes.push_back(f.flushes_per_commit);
        bytes.push_back(f.device_bytes_per_commit);
        disk.push_back(f.disk_bytes_per_commit);
        cpu.push_back(f.cpu_us_per_commit);
      }
      auto counted = [](const std::vector<double>& v) {
        double m = SpreadOf(v).median;
        return m < 0 ? nlohmann::json(nullptr) : nlohmann::json(m);
      };
      per_engine[engine] = {
          {"ops_per_sec", SpreadJson(SpreadOf(ops))}, {"p50_us", SpreadJson(SpreadOf(p50))},
          {"flushes_per_commit", counted(flushes)},   {"device_bytes_per_commit", counted(bytes)},
          {"disk_bytes_per_commit", counted(disk)},   {"cpu_us_per_commit", SpreadOf(cpu).median}};
    }
    nlohmann::json ratios = nlohmann::json::object();
    for (const auto& b : Baselines()) {
      std::vector<double> r = Ratios(writers, b);
      nlohmann::json spread = SpreadJson(SpreadOf(r));
      spread["per_repetition"] = r;
      ratios[std::string(kSubject) + "_over_" + b] = spread;
    }
    points.push_back({{"writers", writers}, {"engines", per_engine}, {"ratios", ratios}});
  }
  return {{"summary", "comparison"},
          {"workload", workload_},
          {"repeat", repeat_},
          {"engines", engines_},
          {"fdatasync_probe_before", ProbeJson(before)},
          {"fdatasync_probe_after", ProbeJson(after)},
          {"points", points}};
}

}  // namespace durastore::bench
