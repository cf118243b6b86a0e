#include "server/otp_service.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "db/pg/transaction.h"
#include "server/arena_allocator.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

namespace {

const google::protobuf::ServiceDescriptor* Descriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      OtpService::service_full_name());
}

}  // namespace

OtpServiceImpl::OtpServiceImpl(Database& db, const HandlerOptions& options)
    : table_(
          db,
          TableSpec{
              Descriptor(),
              "Otp",
              "Otps",
              "otp_verifications",
              "created_at",
              {"user_id", "created_at"},
              StandardQueries{
                  .create = queries::kCreateOtp,
                  .get = queries::kGetOtp,
                  .update = queries::kUpdateOtp,
                  .delete_ = queries::kDeleteOtp,
                  .list = queries::kListOtps,
                  .count = queries::kCountOtps,
                  .get_by_request_id = queries::kGetOtpByRequestId,
              },
              {
                  {"GetActiveOtp",
                   queries::kGetActiveOtp,
                   MethodKind::kOne,
                   {"user_id", "purpose"}},
                  {"ListPendingOtps",
                   queries::kListPendingOtps,
                   MethodKind::kPage,
                   {"user_id"},
                   queries::kCountPendingOtps},
                  {"CountActiveOtps", queries::kCountActiveOtps, MethodKind::kOne, {}},
                  {"DeleteExpiredOtps",
                   queries::kDeleteExpiredOtps,
                   MethodKind::kAffected,
                   {"expired_before"}},
              }},
          options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_GetOtp(
      ArenaAllocator<data::v1::GetOtpRequest, data::v1::Otp>::Instance());
  SetMessageAllocatorFor_ListOtps(
      ArenaAllocator<data::v1::ListOtpsRequest,
                     data::v1::ListOtpsResponse>::Instance());
}

std::vector<Binding> OtpServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  const auto* verify = Descriptor()->FindMethodByName("VerifyOtp");
  const auto* otp = Otp::descriptor();
  b.push_back({queries::kLockOtpCreation, nullptr, {otp}, {}});
  b.push_back({queries::kDeletePendingOtp, nullptr, {otp}, {}});
  b.push_back({queries::kLockOtpById, otp, {verify->input_type()}, {}, {"expired"}});
  b.push_back({queries::kLockOtpByUserPurpose,
               otp,
               {VerifyOtpRequest::UserPurpose::descriptor()},
               {},
               {"expired"}});
  b.push_back({queries::kRecordOtpAttempt, otp, {otp}, {"verified"}});
  return b;
}

grpc::Status OtpServiceImpl::CreateOtp(grpc::ServerContext* ctx,
                                       const CreateOtpRequest* request,
                                       Otp* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoCreateOtp(ctx, *request, response));
}

grpc::ServerUnaryReactor* OtpServiceImpl::GetOtp(
    grpc::CallbackServerContext* ctx, const GetOtpRequest* request,
    Otp* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status OtpServiceImpl::UpdateOtp(grpc::ServerContext* ctx,
                                       const UpdateOtpRequest* request,
                                       Otp* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status OtpServiceImpl::DeleteOtp(grpc::ServerContext* ctx,
                                       const DeleteOtpRequest* request,
                                       google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::ServerUnaryReactor* OtpServiceImpl::ListOtps(
    grpc::CallbackServerContext* ctx, const ListOtpsRequest* request,
    ListOtpsResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status OtpServiceImpl::GetActiveOtp(grpc::ServerContext* ctx,
                                          const GetActiveOtpRequest* request,
                                          Otp* response) {
  return table_.Call("GetActiveOtp", ctx, *request, response);
}

grpc::Status OtpServiceImpl::ListPendingOtps(
    grpc::ServerContext* ctx, const ListPendingOtpsRequest* request,
    ListOtpsResponse* response) {
  return table_.Call("ListPendingOtps", ctx, *request, response);
}

grpc::Status OtpServiceImpl::CountActiveOtps(
    grpc::ServerContext* ctx, const CountActiveOtpsRequest* request,
    CountResponse* response) {
  return table_.Call("CountActiveOtps", ctx, *request, response);
}

grpc::Status OtpServiceImpl::DeleteExpiredOtps(
    grpc::ServerContext* ctx, const DeleteExpiredOtpsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("DeleteExpiredOtps", ctx, *request, response);
}

grpc::Status OtpServiceImpl::VerifyOtp(grpc::ServerContext* ctx,
                                       const VerifyOtpRequest* request,
                                       VerifyOtpResponse* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoVerifyOtp(ctx, *request, response));
}

absl::Status OtpServiceImpl::DoCreateOtp(grpc::ServerContext* ctx,
                                         const CreateOtpRequest& request,
                                         Otp* response) {
  if (!request.has_otp()) return absl::InvalidArgumentError("otp: required");
  if (absl::Status s =
          ValidateColumns(request.otp(), "otp.", table_.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  Database& db = table_.db();
  const db::pg::CallOptions options = table_.CallOptions(ctx);
  const ParamSource otp_only[] = {{"otp.", &request.otp()}};
  const ParamSource with_request[] = {{"otp.", &request.otp()}, {"", &request}};
  // READ COMMITTED plus a transaction-scoped advisory lock on (user_id,
  // purpose): concurrent CreateOtp calls for one user and purpose run one
  // after the other, so "delete the pending OTP, insert the new one" never
  // interleaves, and a retried request_id finds the first call's row.
  return db::pg::RunInTransaction(
      db.pool(), db::pg::IsolationLevel::kReadCommitted, options,
      [&](db::pg::Connection& conn) -> absl::Status {
        if (auto lock = db.RunOn(conn, options, queries::kLockOtpCreation, otp_only);
            !lock.ok()) {
          return lock.status();
        }
        if (!request.request_id().empty()) {
          const ParamSource by_request[] = {{"", &request}};
          auto earlier =
              db.RunOn(conn, options, queries::kGetOtpByRequestId, by_request);
          if (!earlier.ok()) return earlier.status();
          if (earlier->rows() > 0) return DecodeRow(*earlier, 0, response);
        }
        if (auto gone = db.RunOn(conn, options, queries::kDeletePendingOtp, otp_only);
            !gone.ok()) {
          return gone.status();
        }
        auto created = db.RunOn(conn, options, queries::kCreateOtp, with_request);
        if (!created.ok()) return created.status();
        if (created->rows() == 0) {
          return absl::AbortedError(
              "a concurrent request used the same request_id");
        }
        return DecodeRow(*created, 0, response);
      });
}

absl::Status OtpServiceImpl::DoVerifyOtp(grpc::ServerContext* ctx,
                                         const VerifyOtpRequest& request,
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
  Database& db = table_.db();
  const db::pg::CallOptions options = table_.CallOptions(ctx);
  // READ COMMITTED with a row lock (SELECT ... FOR UPDATE): concurrent
  // attempts on one OTP queue on the lock and each sees the counter its
  // predecessor committed, so no attempt is lost and attempts_made never
  // passes max_attempts (the check constraint cannot fire).
  return db::pg::RunInTransaction(
      db.pool(), db::pg::IsolationLevel::kReadCommitted, options,
      [&](db::pg::Connection& conn) -> absl::Status {
        response->Clear();
        const ParamSource sources[] = {key};
        auto locked = db.RunOn(conn, options, statement, sources);
        if (!locked.ok()) return locked.status();
        if (locked->rows() == 0) return absl::NotFoundError("Otp not found");
        const absl::string_view skip[] = {"expired"};
        Otp* otp = response->mutable_otp();
        if (absl::Status s = DecodeRow(*locked, 0, otp, skip); !s.ok())
          return s;
        auto expired =
            locked->row(0).Get<bool>(locked->column_index("expired"));
        if (!expired.ok()) return expired.status();
        if (otp->is_verified()) {
          response->set_result(VerifyOtpResponse::ALREADY_VERIFIED);
          return absl::OkStatus();
        }
        if (*expired) {
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
        auto recorded =
            db.RunOn(conn, options, queries::kRecordOtpAttempt, attempt,
                     {{"verified", std::string(match ? "t" : "f")}});
        if (!recorded.ok()) return recorded.status();
        response->clear_otp();
        if (absl::Status s = DecodeRow(*recorded, 0, response->mutable_otp());
            !s.ok()) {
          return s;
        }
        response->set_result(match ? VerifyOtpResponse::VERIFIED
                                   : VerifyOtpResponse::WRONG_CODE);
        return absl::OkStatus();
      });
}
}  // namespace defifundr::server
