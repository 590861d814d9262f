// A C++ consumer of the installed libdurastore (install_test.sh builds it with only
// `pkg-config --cflags --libs durastore`): opens a store, commits an append and a
// metadata write, and reads both back. Usage: consumer_cpp <store-dir>. Exit 0 on success.
#include <durastore/eventlog.h>
#include <durastore/store.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto opened = durastore::Store::Open(argv[1]);
  if (!opened.ok()) {
    std::cerr << "consumer_cpp: open: " << opened.status().ToString() << "\n";
    return 1;
  }
  std::unique_ptr<durastore::Store> store = std::move(opened).value();
  durastore::Batch batch;
  batch.Append("order-42", 1, "created", durastore::eventlog::ExpectedVersion::NoStream())
      .Put("orders/42/status", "created");
  auto committed = store->Commit(std::move(batch));
  if (!committed.ok()) {
    std::cerr << "consumer_cpp: commit: " << committed.status().ToString() << "\n";
    return 1;
  }
  auto status = store->Get("orders/42/status");
  auto page = durastore::eventlog::ReadPartition(*store, "order-42", 1);
  if (!status.ok() || !page.ok() || page->events.size() != 1) {
    std::cerr << "consumer_cpp: read back failed: " << status.status().ToString() << " / "
              << page.status().ToString() << "\n";
    return 1;
  }
  std::cout << "consumer_cpp: read back '" << status.value() << "' and event '"
            << page->events.at(0).payload << "' (sequence "
            << committed->appends.at(0).first_sequence << ")\n";
  return store->Close().ok() ? 0 : 1;
}
