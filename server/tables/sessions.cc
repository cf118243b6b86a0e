// SessionService (sessions.proto) over the `sessions` table.
#include "absl/strings/str_cat.h"
#include "defifundr/data/v1/sessions.pb.h"
#include "server/service.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server::tables {
namespace {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

// Blocks the session and creates its replacement, in one transaction.
absl::Status RotateSession(Rpc& rpc, const RotateSessionRequest& request,
                           Session* response) {
  if (request.id().empty()) return absl::InvalidArgumentError("id: required");
  if (!request.has_session())
    return absl::InvalidArgumentError("session: required");
  const ParamSource by_request[] = {{"", &request}};
  // READ COMMITTED with a row lock: LockSession's FOR UPDATE makes
  // concurrent rotations of one session wait for each other, and after the
  // wait PostgreSQL re-reads the row, so every loser sees it blocked. No
  // serialization failures can occur, and exactly one rotation wins.
  return rpc.InTransaction([&](Rpc& tx) -> absl::Status {
    auto old = tx.Run(queries::kLockSession, by_request);
    if (!old.ok()) return old.status();
    if (old->rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("Session ", request.id(), " not found"));
    }
    // A retry of a rotation that already happened (AIP-155) gets the
    // replacement it created.
    if (!request.request_id().empty()) {
      auto earlier = tx.Run(queries::kGetSessionByRequestId, by_request);
      if (!earlier.ok()) return earlier.status();
      if (earlier->rows() > 0) return Rpc::Decode(*earlier, 0, response);
    }
    // LockSession returns the session's columns, then is_active.
    Session old_session;
    auto extra = Rpc::DecodeWith<bool>(*old, 0, &old_session);
    if (!extra.ok()) return extra.status();
    const auto [active] = *extra;
    if (!active) {
      return WithReason(
          absl::FailedPreconditionError(
              "the session is blocked or expired; only an active session "
              "can be rotated"),
          "SESSION_NOT_ACTIVE");
    }
    Session next = request.session();
    if (next.user_id().empty()) next.set_user_id(old_session.user_id());
    if (next.user_id() != old_session.user_id()) {
      return absl::InvalidArgumentError(
          "session.user_id: must be empty or the rotated session's user");
    }
    if (absl::Status s = ValidateColumns(next, "session.", tx.meta(), nullptr);
        !s.ok()) {
      return s;
    }
    if (auto blocked = tx.Run(queries::kBlockSession, by_request);
        !blocked.ok()) {
      return blocked.status();
    }
    const ParamSource sources[] = {{"session.", &next}, {"", &request}};
    auto created = tx.Run(queries::kCreateSession, sources);
    if (!created.ok()) return created.status();
    if (created->rows() == 0) {
      return absl::AbortedError("a concurrent request used the same request_id");
    }
    return Rpc::Decode(*created, 0, response);
  });
}

}  // namespace

const ServiceDeclaration& sessions() {
  static const auto* const declaration = new ServiceDeclaration{
      .table =
          {
              .service = Session::descriptor()->file()->FindServiceByName(
                  "SessionService"),
              .entity = "Session",
              .plural = "Sessions",
              .table = "sessions",
              .time_column = "created_at",
              .immutable = {"user_id", "created_at"},
              .queries =
                  {
                      .create = queries::kCreateSession,
                      .get = queries::kGetSession,
                      .update = queries::kUpdateSession,
                      .delete_ = queries::kDeleteSession,
                      .list = queries::kListSessions,
                      .count = queries::kCountSessions,
                      .get_by_request_id = queries::kGetSessionByRequestId,
                  },
              .methods =
                  {
                      {.name = "GetSessionByRefreshToken",
                       .statement = queries::kGetSessionByRefreshToken,
                       .kind = MethodKind::kOne,
                       .required = {"refresh_token"}},
                      {.name = "CountActiveSessions",
                       .statement = queries::kCountActiveSessions,
                       .kind = MethodKind::kOne},
                      {.name = "UpdateRefreshToken",
                       .statement = queries::kUpdateRefreshToken,
                       .kind = MethodKind::kOne,
                       .required = {"id", "refresh_token"},
                       .check_columns = true},
                      {.name = "BlockSession",
                       .statement = queries::kBlockSession,
                       .kind = MethodKind::kOne,
                       .required = {"id"}},
                      {.name = "BlockUserSessions",
                       .statement = queries::kBlockUserSessions,
                       .kind = MethodKind::kAffected,
                       .required = {"user_id"}},
                      {.name = "BlockExpiredSessions",
                       .statement = queries::kBlockExpiredSessions,
                       .kind = MethodKind::kAffected},
                      {.name = "DeleteUserSessions",
                       .statement = queries::kDeleteUserSessions,
                       .kind = MethodKind::kAffected,
                       .required = {"user_id"}},
                      {.name = "DeleteExpiredSessions",
                       .statement = queries::kDeleteExpiredSessions,
                       .kind = MethodKind::kAffected,
                       .required = {"expired_before"}},
                  },
          },
      .custom = {
          Custom("RotateSession", &RotateSession,
                 {{queries::kLockSession,
                   Session::descriptor(),
                   {RotateSessionRequest::descriptor()},
                   {},
                   {"is_active"}}}),
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
