// Domain methods of the later tables: UserWalletService, WaitlistService and
// SecurityEventService, each answering one of DefiFundr's later queries.
#include <google/protobuf/util/time_util.h>

#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT
using google::protobuf::util::TimeUtil;

using WalletDomainTest = DomainTest;
using WaitlistDomainTest = DomainTest;
using SecurityEventDomainTest = DomainTest;

class LaterTablesTest : public DomainTest {
 protected:
  UserWalletService::Stub& wallets() {
    return api().stub<UserWalletService::Stub>();
  }
  WaitlistService::Stub& waitlist() {
    return api().stub<WaitlistService::Stub>();
  }
  SecurityEventService::Stub& events() {
    return api().stub<SecurityEventService::Stub>();
  }

  UserWallet MakeWallet(const std::string& user_id, const std::string& address,
                        const std::string& chain) {
    CreateUserWalletRequest req;
    auto* w = req.mutable_user_wallet();
    w->set_user_id(user_id);
    w->set_address(address);
    w->set_type("embedded");
    w->set_chain(chain);
    UserWallet out;
    auto ctx = Ctx();
    grpc::Status s = wallets().CreateUserWallet(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  WaitlistEntry MakeEntry(const std::string& email, const std::string& code,
                          const std::string& source, int64_t signup_second,
                          const std::string& status = "") {
    CreateWaitlistEntryRequest req;
    auto* e = req.mutable_waitlist_entry();
    e->set_email(email);
    e->set_full_name("Name of " + email);
    e->set_referral_code(code);
    if (!source.empty()) e->set_referral_source(source);
    if (!status.empty()) e->set_status(status);
    *e->mutable_signup_date() = TimeUtil::SecondsToTimestamp(signup_second);
    WaitlistEntry out;
    auto ctx = Ctx();
    grpc::Status s = waitlist().CreateWaitlistEntry(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  SecurityEvent MakeEvent(const std::string& user_id, const std::string& type,
                          int64_t second) {
    CreateSecurityEventRequest req;
    auto* e = req.mutable_security_event();
    e->set_user_id(user_id);
    e->set_event_type(type);
    e->set_ip_address("203.0.113.9");
    *e->mutable_timestamp() = TimeUtil::SecondsToTimestamp(second);
    SecurityEvent out;
    auto ctx = Ctx();
    grpc::Status s = events().CreateSecurityEvent(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
};

// GetWalletByAddress; GetWalletsByUserID is ListUserWallets{user_id};
// UpdateUserWallet(is_default) is UpdateUserWallet with mask is_default.
TEST_F(LaterTablesTest, WalletsByAddressByUserAndDefault) {
  const User ada = MakeUser("ada@example.com");
  const User bob = MakeUser("bob@example.com");
  const UserWallet a1 = MakeWallet(ada.id(), "0xaaa1", "base");
  MakeWallet(ada.id(), "0xaaa2", "ethereum");
  MakeWallet(bob.id(), "0xbbb1", "base");

  GetWalletByAddressRequest by_address;
  by_address.set_address("0xaaa1");
  UserWallet got;
  auto ctx = Ctx();
  ASSERT_TRUE(wallets().GetWalletByAddress(ctx.get(), by_address, &got).ok());
  EXPECT_EQ(got.id(), a1.id());
  EXPECT_EQ(got.user_id(), ada.id());
  by_address.set_address("0xnone");
  ctx = Ctx();
  EXPECT_EQ(wallets().GetWalletByAddress(ctx.get(), by_address, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  by_address.clear_address();
  ctx = Ctx();
  grpc::Status s = wallets().GetWalletByAddress(ctx.get(), by_address, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("address"));

  ListUserWalletsRequest list;
  list.set_user_id(ada.id());
  list.set_include_total_size(true);
  ListUserWalletsResponse page;
  ctx = Ctx();
  ASSERT_TRUE(wallets().ListUserWallets(ctx.get(), list, &page).ok());
  ASSERT_EQ(page.user_wallets_size(), 2);
  EXPECT_EQ(page.total_size(), 2);
  EXPECT_EQ(page.user_wallets(0).address(), "0xaaa1");
  list.set_chain("base");
  ctx = Ctx();
  ASSERT_TRUE(wallets().ListUserWallets(ctx.get(), list, &page).ok());
  ASSERT_EQ(page.user_wallets_size(), 1);
  EXPECT_EQ(page.total_size(), 1);

  UpdateUserWalletRequest update;
  update.mutable_user_wallet()->set_id(a1.id());
  update.mutable_user_wallet()->set_is_default(true);
  update.mutable_update_mask()->add_paths("is_default");
  ctx = Ctx();
  ASSERT_TRUE(wallets().UpdateUserWallet(ctx.get(), update, &got).ok());
  EXPECT_TRUE(got.is_default());
  EXPECT_EQ(got.address(), "0xaaa1");
  EXPECT_EQ(db().Scalar("SELECT is_default FROM user_wallets WHERE address = '0xaaa1'"),
            "t");

  // A user's wallets go with the user.
  DeleteUserRequest del;
  del.set_id(ada.id());
  google::protobuf::Empty empty;
  ctx = Ctx();
  ASSERT_TRUE(api().users().DeleteUser(ctx.get(), del, &empty).ok());
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM user_wallets"), "1");
}

// GetWaitlistEntryByEmail, GetWaitlistEntryByReferralCode,
// ListWaitlistEntries (status and source filters, both orders; with
// include_total_size, CountWaitlistEntries), GetWaitlistPosition.
TEST_F(LaterTablesTest, WaitlistLookupsListsAndPositions) {
  const WaitlistEntry first = MakeEntry("a@example.com", "REFA", "twitter", 1000);
  const WaitlistEntry second = MakeEntry("b@example.com", "REFB", "", 2000);
  const WaitlistEntry invited =
      MakeEntry("c@example.com", "REFC", "twitter", 1500, "invited");
  const WaitlistEntry third = MakeEntry("d@example.com", "REFD", "REFA", 3000);
  EXPECT_EQ(first.status(), "waiting");

  GetWaitlistEntryByEmailRequest by_email;
  by_email.set_email("b@example.com");
  WaitlistEntry got;
  auto ctx = Ctx();
  ASSERT_TRUE(waitlist().GetWaitlistEntryByEmail(ctx.get(), by_email, &got).ok());
  EXPECT_EQ(got.id(), second.id());
  EXPECT_FALSE(got.has_referral_source());
  by_email.set_email("nobody@example.com");
  ctx = Ctx();
  EXPECT_EQ(waitlist().GetWaitlistEntryByEmail(ctx.get(), by_email, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);

  GetWaitlistEntryByReferralCodeRequest by_code;
  by_code.set_referral_code("REFD");
  ctx = Ctx();
  ASSERT_TRUE(
      waitlist().GetWaitlistEntryByReferralCode(ctx.get(), by_code, &got).ok());
  EXPECT_EQ(got.id(), third.id());
  EXPECT_EQ(got.referral_source(), "REFA");
  by_code.clear_referral_code();
  ctx = Ctx();
  EXPECT_EQ(
      waitlist().GetWaitlistEntryByReferralCode(ctx.get(), by_code, &got).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  ListWaitlistEntriesRequest list;
  list.set_status("waiting");
  list.set_include_total_size(true);
  list.set_order(SORT_ORDER_DESCENDING);
  ListWaitlistEntriesResponse page;
  ctx = Ctx();
  ASSERT_TRUE(waitlist().ListWaitlistEntries(ctx.get(), list, &page).ok());
  std::vector<std::string> emails;
  for (const auto& e : page.waitlist_entries()) emails.push_back(e.email());
  EXPECT_THAT(emails, ElementsAre("d@example.com", "b@example.com", "a@example.com"));
  EXPECT_EQ(page.total_size(), 3);
  list.set_referral_source("twitter");
  list.clear_status();
  list.set_order(SORT_ORDER_ASCENDING);
  ctx = Ctx();
  ASSERT_TRUE(waitlist().ListWaitlistEntries(ctx.get(), list, &page).ok());
  emails.clear();
  for (const auto& e : page.waitlist_entries()) emails.push_back(e.email());
  EXPECT_THAT(emails, ElementsAre("a@example.com", "c@example.com"));
  EXPECT_EQ(page.total_size(), 2);

  GetWaitlistPositionRequest position;
  WaitlistPosition at;
  position.set_id(first.id());
  ctx = Ctx();
  ASSERT_TRUE(waitlist().GetWaitlistPosition(ctx.get(), position, &at).ok());
  EXPECT_EQ(at.position(), 1);
  EXPECT_EQ(at.id(), first.id());
  position.set_id(third.id());
  ctx = Ctx();
  ASSERT_TRUE(waitlist().GetWaitlistPosition(ctx.get(), position, &at).ok());
  EXPECT_EQ(at.position(), 3);  // The invited entry does not count.
  position.set_id(invited.id());
  ctx = Ctx();
  ASSERT_TRUE(waitlist().GetWaitlistPosition(ctx.get(), position, &at).ok());
  EXPECT_EQ(at.position(), 1);
  position.set_id("00000000-0000-4000-8000-000000000001");
  ctx = Ctx();
  EXPECT_EQ(waitlist().GetWaitlistPosition(ctx.get(), position, &at).error_code(),
            grpc::StatusCode::NOT_FOUND);
  position.set_id("not-a-uuid");
  ctx = Ctx();
  EXPECT_EQ(waitlist().GetWaitlistPosition(ctx.get(), position, &at).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// SearchWaitlist (+ CountSearchWaitlist), GetWaitlistStatsBySource,
// GetWaitlistStatsByStatus.
TEST_F(LaterTablesTest, WaitlistSearchAndStats) {
  MakeEntry("ada@example.com", "R1", "twitter", 1000);
  MakeEntry("grace@example.com", "R2", "twitter", 2000);
  MakeEntry("alan@example.org", "R3", "", 3000, "registered");
  MakeEntry("100%@example.org", "R4", "news", 4000);

  SearchWaitlistRequest search;
  search.set_query("EXAMPLE.COM");
  search.set_include_total_size(true);
  ListWaitlistEntriesResponse page;
  auto ctx = Ctx();
  ASSERT_TRUE(waitlist().SearchWaitlist(ctx.get(), search, &page).ok());
  EXPECT_EQ(page.waitlist_entries_size(), 2);
  EXPECT_EQ(page.total_size(), 2);
  search.set_query("0%");  // % is literal.
  ctx = Ctx();
  ASSERT_TRUE(waitlist().SearchWaitlist(ctx.get(), search, &page).ok());
  ASSERT_EQ(page.waitlist_entries_size(), 1);
  EXPECT_EQ(page.waitlist_entries(0).email(), "100%@example.org");
  search.clear_query();
  ctx = Ctx();
  EXPECT_EQ(waitlist().SearchWaitlist(ctx.get(), search, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  GetWaitlistStatsBySourceResponse by_source;
  ctx = Ctx();
  ASSERT_TRUE(waitlist()
                  .GetWaitlistStatsBySource(ctx.get(), {}, &by_source)
                  .ok());
  ASSERT_EQ(by_source.sources_size(), 3);
  EXPECT_EQ(by_source.sources(0).referral_source(), "twitter");
  EXPECT_EQ(by_source.sources(0).count(), 2);
  int64_t total = 0;
  bool saw_none = false;
  for (const auto& s : by_source.sources()) {
    total += s.count();
    saw_none = saw_none || !s.has_referral_source();
  }
  EXPECT_EQ(total, 4);
  EXPECT_TRUE(saw_none);

  GetWaitlistStatsByStatusResponse by_status;
  ctx = Ctx();
  ASSERT_TRUE(waitlist()
                  .GetWaitlistStatsByStatus(ctx.get(), {}, &by_status)
                  .ok());
  ASSERT_EQ(by_status.statuses_size(), 2);
  EXPECT_EQ(by_status.statuses(0).status(), "waiting");
  EXPECT_EQ(by_status.statuses(0).count(), 3);
  EXPECT_EQ(by_status.statuses(1).status(), "registered");
  EXPECT_EQ(by_status.statuses(1).count(), 1);
}

TEST_F(LaterTablesTest, MetadataMustBeJsonAndIsStoredAsJsonb) {
  CreateWaitlistEntryRequest req;
  auto* e = req.mutable_waitlist_entry();
  e->set_email("json@example.com");
  e->set_referral_code("JSON");
  e->set_metadata("{not json");
  WaitlistEntry out;
  auto ctx = Ctx();
  grpc::Status s = waitlist().CreateWaitlistEntry(ctx.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("waitlist_entry.metadata"));
  e->set_metadata(std::string(64 * 1024 + 1, ' '));
  ctx = Ctx();
  s = waitlist().CreateWaitlistEntry(ctx.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("longer than"));
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM waitlist"), "0");
  e->set_metadata(R"({"campaign":"spring","clicks":3})");
  ctx = Ctx();
  ASSERT_TRUE(waitlist().CreateWaitlistEntry(ctx.get(), req, &out).ok());
  EXPECT_EQ(db().Scalar("SELECT metadata->>'campaign' FROM waitlist"), "spring");
  EXPECT_EQ(db().Scalar("SELECT jsonb_typeof(metadata) FROM waitlist"), "object");
  EXPECT_EQ(out.metadata(), R"({"clicks": 3, "campaign": "spring"})");
}

// GetRecentLoginEventsByUserID and GetSecurityEventsByUserIDAndType, as
// ListSecurityEvents.
TEST_F(LaterTablesTest, SecurityEventsByUserTypeAndTimeRange) {
  const User ada = MakeUser("ada@example.com");
  const User bob = MakeUser("bob@example.com");
  for (int i = 1; i <= 5; ++i) MakeEvent(ada.id(), "login", 1000 * i);
  MakeEvent(ada.id(), "password_change", 2500);
  MakeEvent(bob.id(), "login", 3500);

  // The 3 most recent logins of ada.
  ListSecurityEventsRequest recent;
  recent.set_user_id(ada.id());
  recent.set_event_type("login");
  recent.set_order(SORT_ORDER_DESCENDING);
  recent.set_page_size(3);
  ListSecurityEventsResponse page;
  auto ctx = Ctx();
  ASSERT_TRUE(events().ListSecurityEvents(ctx.get(), recent, &page).ok());
  std::vector<int64_t> seconds;
  for (const auto& e : page.security_events()) {
    seconds.push_back(TimeUtil::TimestampToSeconds(e.timestamp()));
  }
  EXPECT_THAT(seconds, ElementsAre(5000, 4000, 3000));
  EXPECT_FALSE(page.next_page_token().empty());

  // Ada's logins between 2000 and 4000 inclusive, newest first.
  ListSecurityEventsRequest range;
  range.set_user_id(ada.id());
  range.set_event_type("login");
  *range.mutable_start_time() = TimeUtil::SecondsToTimestamp(2000);
  *range.mutable_end_time() = TimeUtil::SecondsToTimestamp(4000);
  range.set_order(SORT_ORDER_DESCENDING);
  range.set_include_total_size(true);
  ctx = Ctx();
  ASSERT_TRUE(events().ListSecurityEvents(ctx.get(), range, &page).ok());
  seconds.clear();
  for (const auto& e : page.security_events()) {
    seconds.push_back(TimeUtil::TimestampToSeconds(e.timestamp()));
    EXPECT_EQ(e.user_id(), ada.id());
  }
  EXPECT_THAT(seconds, ElementsAre(4000, 3000, 2000));
  EXPECT_EQ(page.total_size(), 3);

  range.mutable_start_time()->set_nanos(-1);
  ctx = Ctx();
  grpc::Status s = events().ListSecurityEvents(ctx.get(), range, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("start_time"));

  CreateSecurityEventRequest bad;
  bad.mutable_security_event()->set_user_id(ada.id());
  bad.mutable_security_event()->set_event_type("login");
  bad.mutable_security_event()->set_ip_address("999.1.1.1");
  SecurityEvent out;
  ctx = Ctx();
  s = events().CreateSecurityEvent(ctx.get(), bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("ip_address"));
  bad.mutable_security_event()->set_ip_address("2001:db8::1");
  bad.mutable_security_event()->set_user_id("00000000-0000-4000-8000-000000000009");
  ctx = Ctx();
  EXPECT_EQ(events().CreateSecurityEvent(ctx.get(), bad, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM security_events"), "7");
  // An unknown address is stored as '', as DefiFundr stores it.
  bad.mutable_security_event()->set_user_id(ada.id());
  bad.mutable_security_event()->clear_ip_address();
  ctx = Ctx();
  ASSERT_TRUE(events().CreateSecurityEvent(ctx.get(), bad, &out).ok());
  EXPECT_EQ(out.ip_address(), "");
  EXPECT_EQ(db().Scalar("SELECT ip_address FROM security_events WHERE id = '" +
                        out.id() + "'"),
            "");
}

}  // namespace
}  // namespace defifundr
