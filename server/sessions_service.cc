#include "server/sessions_service.h"

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
      SessionService::service_full_name());
}

}  // namespace

SessionServiceImpl::SessionServiceImpl(Database& db,
                                       const HandlerOptions& options)
    : table_(db,
             TableSpec{
                 Descriptor(),
                 "Session",
                 "Sessions",
                 "sessions",
                 "created_at",
                 {"user_id", "created_at"},
                 StandardQueries{
                     .create = queries::kCreateSession,
                     .get = queries::kGetSession,
                     .update = queries::kUpdateSession,
                     .delete_ = queries::kDeleteSession,
                     .list = queries::kListSessions,
                     .count = queries::kCountSessions,
                     .get_by_request_id = queries::kGetSessionByRequestId,
                 },
                 {
                     {"GetSessionByRefreshToken",
                      queries::kGetSessionByRefreshToken,
                      MethodKind::kOne,
                      {"refresh_token"}},
                     {"CountActiveSessions",
                      queries::kCountActiveSessions,
                      MethodKind::kOne,
                      {}},
                     {"UpdateRefreshToken",
                      queries::kUpdateRefreshToken,
                      MethodKind::kOne,
                      {"id", "refresh_token"},
                      {},
                      /*check_columns=*/true},
                     {"BlockSession", queries::kBlockSession, MethodKind::kOne, {"id"}},
                     {"BlockUserSessions",
                      queries::kBlockUserSessions,
                      MethodKind::kAffected,
                      {"user_id"}},
                     {"BlockExpiredSessions",
                      queries::kBlockExpiredSessions,
                      MethodKind::kAffected,
                      {}},
                     {"DeleteUserSessions",
                      queries::kDeleteUserSessions,
                      MethodKind::kAffected,
                      {"user_id"}},
                     {"DeleteExpiredSessions",
                      queries::kDeleteExpiredSessions,
                      MethodKind::kAffected,
                      {"expired_before"}},
                 }},
             options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_CreateSession(
      ArenaAllocator<data::v1::CreateSessionRequest,
                     data::v1::Session>::Instance());
  SetMessageAllocatorFor_GetSession(
      ArenaAllocator<data::v1::GetSessionRequest,
                     data::v1::Session>::Instance());
  SetMessageAllocatorFor_ListSessions(
      ArenaAllocator<data::v1::ListSessionsRequest,
                     data::v1::ListSessionsResponse>::Instance());
}

std::vector<Binding> SessionServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  const auto* rotate = Descriptor()->FindMethodByName("RotateSession");
  b.push_back({queries::kLockSession,
               rotate->output_type(),
               {rotate->input_type()},
               {},
               {"is_active"}});
  return b;
}

grpc::ServerUnaryReactor* SessionServiceImpl::CreateSession(
    grpc::CallbackServerContext* ctx, const CreateSessionRequest* request,
    Session* response) {
  return React(ctx, [&](Table::Done done) {
    table_.CreateAsync(ctx, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetSession(
    grpc::CallbackServerContext* ctx, const GetSessionRequest* request,
    Session* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status SessionServiceImpl::UpdateSession(
    grpc::ServerContext* ctx, const UpdateSessionRequest* request,
    Session* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status SessionServiceImpl::DeleteSession(
    grpc::ServerContext* ctx, const DeleteSessionRequest* request,
    google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::ServerUnaryReactor* SessionServiceImpl::ListSessions(
    grpc::CallbackServerContext* ctx, const ListSessionsRequest* request,
    ListSessionsResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status SessionServiceImpl::GetSessionByRefreshToken(
    grpc::ServerContext* ctx, const GetSessionByRefreshTokenRequest* request,
    Session* response) {
  return table_.Call("GetSessionByRefreshToken", ctx, *request, response);
}

grpc::Status SessionServiceImpl::CountActiveSessions(
    grpc::ServerContext* ctx, const CountActiveSessionsRequest* request,
    CountResponse* response) {
  return table_.Call("CountActiveSessions", ctx, *request, response);
}

grpc::Status SessionServiceImpl::UpdateRefreshToken(
    grpc::ServerContext* ctx, const UpdateRefreshTokenRequest* request,
    Session* response) {
  return table_.Call("UpdateRefreshToken", ctx, *request, response);
}

grpc::Status SessionServiceImpl::BlockSession(
    grpc::ServerContext* ctx, const BlockSessionRequest* request,
    Session* response) {
  return table_.Call("BlockSession", ctx, *request, response);
}

grpc::Status SessionServiceImpl::BlockUserSessions(
    grpc::ServerContext* ctx, const BlockUserSessionsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("BlockUserSessions", ctx, *request, response);
}

grpc::Status SessionServiceImpl::BlockExpiredSessions(
    grpc::ServerContext* ctx, const BlockExpiredSessionsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("BlockExpiredSessions", ctx, *request, response);
}

grpc::Status SessionServiceImpl::DeleteUserSessions(
    grpc::ServerContext* ctx, const DeleteUserSessionsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("DeleteUserSessions", ctx, *request, response);
}

grpc::Status SessionServiceImpl::DeleteExpiredSessions(
    grpc::ServerContext* ctx, const DeleteExpiredSessionsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("DeleteExpiredSessions", ctx, *request, response);
}

grpc::Status SessionServiceImpl::RotateSession(
    grpc::ServerContext* ctx, const RotateSessionRequest* request,
    Session* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoRotateSession(ctx, *request, response));
}

absl::Status SessionServiceImpl::DoRotateSession(
    grpc::ServerContext* ctx, const RotateSessionRequest& request,
    Session* response) {
  if (request.id().empty()) return absl::InvalidArgumentError("id: required");
  if (!request.has_session())
    return absl::InvalidArgumentError("session: required");
  Database& db = table_.db();
  const db::pg::CallOptions options = table_.CallOptions(ctx);
  const ParamSource by_request[] = {{"", &request}};
  // READ COMMITTED with a row lock: LockSession's FOR UPDATE makes
  // concurrent rotations of one session wait for each other, and after the
  // wait PostgreSQL re-reads the row, so every loser sees it blocked. No
  // serialization failures can occur, and exactly one rotation wins.
  return db::pg::RunInTransaction(
      db.pool(), db::pg::IsolationLevel::kReadCommitted, options,
      [&](db::pg::Connection& conn) -> absl::Status {
        auto old = db.RunOn(conn, options, queries::kLockSession, by_request);
        if (!old.ok()) return old.status();
        if (old->rows() == 0) {
          return absl::NotFoundError(
              absl::StrCat("Session ", request.id(), " not found"));
        }
        // A retry of a rotation that already happened (AIP-155) gets the
        // replacement it created.
        if (!request.request_id().empty()) {
          auto earlier =
              db.RunOn(conn, options, queries::kGetSessionByRequestId, by_request);
          if (!earlier.ok()) return earlier.status();
          if (earlier->rows() > 0) return DecodeRow(*earlier, 0, response);
        }
        auto active = old->row(0).Get<bool>(old->column_index("is_active"));
        if (!active.ok()) return active.status();
        if (!*active) {
          return WithReason(
              absl::FailedPreconditionError(
                  "the session is blocked or expired; only an active session "
                  "can be rotated"),
              "SESSION_NOT_ACTIVE");
        }
        Session old_session;
        const absl::string_view skip[] = {"is_active"};
        if (absl::Status s = DecodeRow(*old, 0, &old_session, skip); !s.ok())
          return s;
        Session next = request.session();
        if (next.user_id().empty()) next.set_user_id(old_session.user_id());
        if (next.user_id() != old_session.user_id()) {
          return absl::InvalidArgumentError(
              "session.user_id: must be empty or the rotated session's user");
        }
        if (absl::Status s =
                ValidateColumns(next, "session.", table_.meta(), nullptr);
            !s.ok()) {
          return s;
        }
        if (auto blocked = db.RunOn(conn, options, queries::kBlockSession, by_request);
            !blocked.ok()) {
          return blocked.status();
        }
        const ParamSource sources[] = {{"session.", &next}, {"", &request}};
        auto created = db.RunOn(conn, options, queries::kCreateSession, sources);
        if (!created.ok()) return created.status();
        if (created->rows() == 0) {
          return absl::AbortedError(
              "a concurrent request used the same request_id");
        }
        return DecodeRow(*created, 0, response);
      });
}
}  // namespace defifundr::server
