// Status, Result, error codes and lease token encoding.
#include "durastore/status.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "durastore/queue.h"

namespace durastore {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(Status::Conflict("expected 3").ToString(), "Conflict: expected 3");
  EXPECT_EQ(Status::LockLost("x").ToString(), "LockLost: x");
  EXPECT_EQ(CodeName(Code::kResourceExhausted), "ResourceExhausted");
  EXPECT_EQ(CodeName(Code::kUnavailable), "Unavailable");
}

TEST(StatusTest, OnlyBusyAndTransientIoErrorsAreRetryable) {
  EXPECT_TRUE(Status::Busy("b").retryable());
  EXPECT_FALSE(Status::Busy("open in this process", /*retryable=*/false).retryable());
  EXPECT_TRUE(Status::IOError("eintr", /*transient=*/true).retryable());
  EXPECT_FALSE(Status::IOError("eio").retryable());
  for (const Status& s :
       {Status::NotFound(""), Status::AlreadyExists(""), Status::Conflict(""), Status::LockLost(""),
        Status::InvalidArgument(""), Status::ResourceExhausted(""), Status::Corruption(""),
        Status::Unavailable("")}) {
    EXPECT_FALSE(s.retryable()) << s.ToString();
  }
}

TEST(StatusTest, ResultHoldsAValueOrAnError) {
  Result<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  Result<int> e = Status::NotFound("gone");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kNotFound);
  EXPECT_EQ(e.status().message(), "gone");
  Result<int> from_ok = Status::OK();  // an OK status is not a value
  EXPECT_FALSE(from_ok.ok());
}

TEST(StatusTest, ResultReportsItsStateLikeStdOptional) {
  Result<std::string> v = std::string("x");
  EXPECT_TRUE(v.has_value());
  EXPECT_TRUE(static_cast<bool>(v));
  EXPECT_EQ(v.value_or("fallback"), "x");
  Result<std::string> e = Status::Busy("held");
  EXPECT_FALSE(e.has_value());
  EXPECT_FALSE(e);
  EXPECT_EQ(e.value_or("fallback"), "fallback");
  EXPECT_EQ(std::move(e).value_or("moved fallback"), "moved fallback");
  EXPECT_EQ(std::move(v).value_or("fallback"), "x");
}

TEST(StatusDeathTest, ValueOfAnErrorAbortsWithTheStatusMessage) {
  Result<int> e = Status::NotFound("stream 'gone' does not exist");
  EXPECT_DEATH((void)e.value(), "Result::value\\(\\) called on an error: NotFound: stream 'gone'");
  EXPECT_DEATH((void)*e, "NotFound: stream 'gone' does not exist");
  Result<std::string> s = Status::IOError("disk on fire");
  EXPECT_DEATH((void)s->size(), "IOError: disk on fire");
  EXPECT_DEATH((void)std::move(s).value(), "IOError: disk on fire");
}

TEST(LeaseTokenTest, HexRoundTrip) {
  queue::LeaseToken t;
  for (size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<uint8_t>(i * 17 + 3);
  std::string hex = t.ToHex();
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.substr(0, 4), "0314");
  auto back = queue::LeaseToken::FromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  auto upper = queue::LeaseToken::FromHex("0314253647586979");
  EXPECT_EQ(upper.status().code(), Code::kInvalidArgument);
}

TEST(LeaseTokenTest, FromHexRejectsMalformedInput) {
  EXPECT_EQ(queue::LeaseToken::FromHex("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue::LeaseToken::FromHex(std::string(31, 'a')).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(queue::LeaseToken::FromHex(std::string(31, 'a') + "g").status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(queue::LeaseToken::FromHex(std::string(32, 'F')).ok());
}

}  // namespace
}  // namespace durastore
