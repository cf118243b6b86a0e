// OtpService (otp.proto) over the `otp_verifications` table.
#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "defifundr/data/v1/otp.pb.h"
#include "server/service.h"
#include "server/validation.h"

namespace defifundr::server::tables {
namespace {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

// Replaces the user's pending OTP of the same purpose with a new one.
absl::Status CreateOtp(Rpc& rpc, const CreateOtpRequest& request,
                       Otp* response) {
  if (!request.has_otp()) return absl::InvalidArgumentError("otp: required");
  if (absl::Status s = ValidateColumns(request.otp(), "otp.", rpc.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  const ParamSource otp_only[] = {{"otp.", &request.otp()}};
  const ParamSource with_request[] = {{"otp.", &request.otp()}, {"", &request}};
  // READ COMMITTED plus a transaction-scoped advisory lock on (user_id,
  // purpose): concurrent CreateOtp calls for one user and purpose run one
  // after the other, so "delete the pending OTP, insert the new one" never
  // interleaves, and a retried request_id finds the first call's row.
  return rpc.InTransaction([&](Rpc& tx) -> absl::Status {
    if (auto lock = tx.Run(queries::kLockOtpCreation, otp_only); !lock.ok()) {
      return lock.status();
    }
    if (!request.request_id().empty()) {
      const ParamSource by_request[] = {{"", &request}};
      auto earlier = tx.Run(queries::kGetOtpByRequestId, by_request);
      if (!earlier.ok()) return earlier.status();
      if (earlier->rows() > 0) return Rpc::Decode(*earlier, 0, response);
    }
    if (auto gone = tx.Run(queries::kDeletePendingOtp, otp_only); !gone.ok()) {
      return gone.status();
    }
    auto created = tx.Run(queries::kCreateOtp, with_request);
    if (!created.ok()) return created.status();
    if (created->rows() == 0) {
      return absl::AbortedError("a concurrent request used the same request_id");
    }
    return Rpc::Decode(*created, 0, response);
  });
}

// One attempt at an OTP's code, counted whatever its outcome.
absl::Status VerifyOtp(Rpc& rpc, const VerifyOtpRequest& request,
                       VerifyOtpResponse* response) {
  if (request.code().empty())
    return absl::InvalidArgumentError("code: required");
  db::QueryName statement;
  ParamSource key{"", &request};
  if (request.key_case() == VerifyOtpRequest::kId && !request.id().empty()) {
    statement = queries::kLockOtpById;
  } else if (request.key_case() == VerifyOtpRequest::kUserPurpose) {
    if (absl::Status s =
            Table::CheckFields(request.user_purpose(), {"user_id", "purpose"});
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("user_purpose.", s.message()));
    }
    statement = queries::kLockOtpByUserPurpose;
    key = {"user_purpose.", &request.user_purpose()};
  } else {
    return absl::InvalidArgumentError("key: set id or user_purpose (required)");
  }
  // READ COMMITTED with a row lock (SELECT ... FOR UPDATE): concurrent
  // attempts on one OTP queue on the lock and each sees the counter its
  // predecessor committed, so no attempt is lost and attempts_made never
  // passes max_attempts (the check constraint cannot fire).
  return rpc.InTransaction([&](Rpc& tx) -> absl::Status {
    response->Clear();
    const ParamSource sources[] = {key};
    auto locked = tx.Run(statement, sources);
    if (!locked.ok()) return locked.status();
    if (locked->rows() == 0) return absl::NotFoundError("Otp not found");
    Otp* otp = response->mutable_otp();
    // The OTP's columns, then `expired`.
    auto extra = Rpc::DecodeWith<bool>(*locked, 0, otp);
    if (!extra.ok()) return extra.status();
    const auto [expired] = *extra;
    if (otp->is_verified()) {
      response->set_result(VerifyOtpResponse::ALREADY_VERIFIED);
      return absl::OkStatus();
    }
    if (expired) {
      response->set_result(VerifyOtpResponse::EXPIRED);
      return absl::OkStatus();
    }
    if (otp->attempts_made() >= otp->max_attempts()) {
      response->set_result(VerifyOtpResponse::TOO_MANY_ATTEMPTS);
      return absl::OkStatus();
    }
    const bool match =
        request.code().size() == otp->otp_code().size() &&
        CRYPTO_memcmp(request.code().data(), otp->otp_code().data(),
                      request.code().size()) == 0;
    const ParamSource attempt[] = {{"", otp}};
    auto recorded = tx.Run(queries::kRecordOtpAttempt, attempt,
                           {{"verified", std::string(match ? "t" : "f")}});
    if (!recorded.ok()) return recorded.status();
    response->clear_otp();
    if (absl::Status s = Rpc::Decode(*recorded, 0, response->mutable_otp());
        !s.ok()) {
      return s;
    }
    response->set_result(match ? VerifyOtpResponse::VERIFIED
                               : VerifyOtpResponse::WRONG_CODE);
    return absl::OkStatus();
  });
}

}  // namespace

const ServiceDeclaration& otp() {
  static const auto* const declaration = new ServiceDeclaration{
      .table =
          {
              .service =
                  Otp::descriptor()->file()->FindServiceByName("OtpService"),
              .entity = "Otp",
              .plural = "Otps",
              .table = "otp_verifications",
              .time_column = "created_at",
              .immutable = {"user_id", "created_at"},
              .queries =
                  {
                      .create = queries::kCreateOtp,
                      .get = queries::kGetOtp,
                      .update = queries::kUpdateOtp,
                      .delete_ = queries::kDeleteOtp,
                      .list = queries::kListOtps,
                      .count = queries::kCountOtps,
                      .get_by_request_id = queries::kGetOtpByRequestId,
                  },
              .methods =
                  {
                      {.name = "GetActiveOtp",
                       .statement = queries::kGetActiveOtp,
                       .kind = MethodKind::kOne,
                       .required = {"user_id", "purpose"}},
                      {.name = "ListPendingOtps",
                       .statement = queries::kListPendingOtps,
                       .kind = MethodKind::kPage,
                       .required = {"user_id"},
                       .count_statement = queries::kCountPendingOtps},
                      {.name = "CountActiveOtps",
                       .statement = queries::kCountActiveOtps,
                       .kind = MethodKind::kOne},
                      {.name = "DeleteExpiredOtps",
                       .statement = queries::kDeleteExpiredOtps,
                       .kind = MethodKind::kAffected,
                       .required = {"expired_before"}},
                  },
          },
      .custom = {
          Custom("CreateOtp", &CreateOtp,
                 {{queries::kLockOtpCreation, nullptr, {Otp::descriptor()}, {}},
                  {queries::kDeletePendingOtp, nullptr, {Otp::descriptor()}, {}}}),
          Custom("VerifyOtp", &VerifyOtp,
                 {{queries::kLockOtpById,
                   Otp::descriptor(),
                   {VerifyOtpRequest::descriptor()},
                   {},
                   {"expired"}},
                  {queries::kLockOtpByUserPurpose,
                   Otp::descriptor(),
                   {VerifyOtpRequest::UserPurpose::descriptor()},
                   {},
                   {"expired"}},
                  {queries::kRecordOtpAttempt,
                   Otp::descriptor(),
                   {Otp::descriptor()},
                   {"verified"}}}),
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
