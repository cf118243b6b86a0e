// The seeder's tables and their row generators: each draws one user's rows
// of one table from its own random stream, so a user's rows depend only on
// the seed and the user. Internal to db/seed.
#ifndef DEFIFUNDR_DB_SEED_INTERNAL_GENERATORS_H_
#define DEFIFUNDR_DB_SEED_INTERNAL_GENERATORS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "db/seed/internal/copy_rows.h"
#include "db/seed/internal/random.h"

namespace defifundr::db::seed::internal {

// ---------------------------------------------------------------------------
// Tables.

enum Table : int {
  kUsers,
  kSessions,
  kKyc,
  kDevices,
  kOtps,
  kTransactions,
  kWallets,
  kSecurityEvents,
  kWaitlist,
  kTableCount
};

inline constexpr absl::string_view kTableNames[kTableCount] = {
    "users",        "sessions",        "kyc",     "user_device_tokens",
    "otp_verifications", "transactions", "user_wallets", "security_events",
    "waitlist"};

// The COPY column lists; the generators below write exactly these fields.
inline constexpr absl::string_view kColumns[kTableCount] = {
    "id, email, password_hash, profile_picture, account_type, gender, "
    "personal_account_type, first_name, last_name, nationality, "
    "residential_country, job_role, company_website, employment_type, "
    "created_at, updated_at, phone_number, phone_number_verified, "
    "phone_number_verified_at, company_name, company_address, company_city, "
    "company_postal_code, company_country, user_address, user_city, "
    "user_postal_code, employee_type, auth_provider, provider_id",
    "id, user_id, refresh_token, user_agent, web_oauth_client_id, "
    "oauth_access_token, oauth_id_token, user_login_type, mfa_enabled, "
    "client_ip, is_blocked, expires_at, created_at, last_used_at",
    "id, user_id, face_verification, identity_verification, "
    "verification_type, verification_number, verification_status, "
    "updated_at, created_at",
    "id, user_id, device_token, platform, device_type, device_model, os_name, "
    "os_version, push_notification_token, is_active, is_verified, "
    "last_used_at, first_registered_at, app_version, client_ip, expires_at, "
    "is_revoked",
    "id, user_id, otp_code, hashed_otp, purpose, contact_method, "
    "attempts_made, max_attempts, is_verified, created_at, expires_at, "
    "verified_at, ip_address, user_agent, device_id",
    "id, user_id, tx_hash, transaction_pin_hash, status, created_at, "
    "updated_at",
    "id, user_id, address, type, chain, is_default, created_at, updated_at",
    "id, user_id, event_type, ip_address, user_agent, metadata, \"timestamp\"",
    "id, email, full_name, referral_code, referral_source, status, "
    "signup_date, invited_date, registered_date, metadata, created_at, "
    "updated_at"};

inline constexpr int16_t kFieldCounts[kTableCount] = {30, 14, 9, 17, 15, 7, 8, 7, 12};


// ---------------------------------------------------------------------------
// A user is what the other tables' rows need of it.

struct UserRef {
  Uuid id;
  std::string email;
  int64_t created = 0;  // Unix microseconds.
};

struct Context {
  uint64_t seed;
  int64_t now;      // Unix microseconds.
  int64_t tx_days;  // Days of transaction history.
  std::string tag;  // Seed-specific part of e-mail addresses.
};

/// User number `index` (its id and e-mail into `ref`), and one user's rows
/// of each other table, appended to `rows`; `scratch` is reused memory.
void GenerateUser(const Context& ctx, int index, Rows& rows, UserRef* ref,
                  std::string& scratch);
void GenerateSessions(const Context& ctx, const UserRef& u, Rows& rows,
                      std::string& scratch);
void GenerateKyc(const Context& ctx, const UserRef& u, Rows& rows,
                 std::string& scratch);
void GenerateDevices(const Context& ctx, const UserRef& u, Rows& rows,
                     std::string& scratch);
void GenerateOtps(const Context& ctx, const UserRef& u, Rows& rows,
                  std::string& scratch);
void GenerateTransactions(const Context& ctx, const UserRef& u, Rows& rows,
                          std::string& scratch);
void GenerateWallets(const Context& ctx, const UserRef& u, Rows& rows,
                     std::string& scratch);
void GenerateSecurityEvents(const Context& ctx, const UserRef& u, Rows& rows,
                            std::string& scratch);
void GenerateWaitlist(const Context& ctx, const UserRef& u, Rows& rows,
                      std::string& scratch);

}  // namespace defifundr::db::seed::internal

#endif  // DEFIFUNDR_DB_SEED_INTERNAL_GENERATORS_H_
