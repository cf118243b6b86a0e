#include "server/database.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace defifundr::server {

db::pg::CallOptions CallOptionsFor(const grpc::ServerContext* context,
                                   absl::Duration max_timeout) {
  db::pg::CallOptions options;
  absl::Time deadline = absl::Now() + max_timeout;
  if (context != nullptr) {
    const auto d = context->deadline();
    if (d != std::chrono::system_clock::time_point::max()) {
      deadline = std::min(deadline, absl::FromChrono(d));
    }
    options.cancelled = [context] { return context->IsCancelled(); };
  }
  options.deadline = deadline;
  return options;
}

absl::StatusOr<std::vector<db::pg::Param>> Database::Bind(
    absl::string_view statement, std::span<const ParamSource> sources,
    const ExtraParams& extras) const {
  const db::Statement* st = catalog_.Find(statement);
  const StatementInfo* info = schema_.statement(statement);
  if (st == nullptr || info == nullptr) {
    return absl::InternalError(absl::StrCat("unknown query ", statement));
  }
  return BindParams(*st, info->param_types, sources, extras);
}

absl::StatusOr<db::pg::Result> Database::RunOn(
    db::pg::Connection& conn, const db::pg::CallOptions& options,
    absl::string_view statement, std::span<const ParamSource> sources,
    const ExtraParams& extras) {
  auto params = Bind(statement, sources, extras);
  if (!params.ok()) return params.status();
  return conn.ExecPrepared(statement, *params, options);
}

absl::StatusOr<db::pg::Result> Database::Run(
    const db::pg::CallOptions& options, absl::string_view statement,
    std::span<const ParamSource> sources, const ExtraParams& extras) {
  // Bind first: bad input is rejected without taking a connection.
  auto params = Bind(statement, sources, extras);
  if (!params.ok()) return params.status();
  auto conn = pool_.Acquire(options.deadline);
  if (!conn.ok()) return conn.status();
  return (*conn)->ExecPrepared(statement, *params, options);
}

absl::Status Database::FetchOne(const db::pg::CallOptions& options,
                                absl::string_view statement,
                                std::span<const ParamSource> sources,
                                google::protobuf::Message* out,
                                const ExtraParams& extras) {
  auto result = Run(options, statement, sources, extras);
  if (!result.ok()) return result.status();
  auto row = result->SingleRow();
  if (!row.ok()) return row.status();
  return DecodeRow(*result, 0, out);
}

absl::StatusOr<int> Database::FetchMany(
    const db::pg::CallOptions& options, absl::string_view statement,
    std::span<const ParamSource> sources, const ExtraParams& extras,
    google::protobuf::Message* out,
    const google::protobuf::FieldDescriptor* field) {
  auto result = Run(options, statement, sources, extras);
  if (!result.ok()) return result.status();
  const auto* r = out->GetReflection();
  for (int i = 0; i < result->rows(); ++i) {
    if (absl::Status s = DecodeRow(*result, i, r->AddMessage(out, field));
        !s.ok()) {
      return s;
    }
  }
  return result->rows();
}

absl::StatusOr<int64_t> Database::Execute(const db::pg::CallOptions& options,
                                          absl::string_view statement,
                                          std::span<const ParamSource> sources,
                                          const ExtraParams& extras) {
  auto result = Run(options, statement, sources, extras);
  if (!result.ok()) return result.status();
  return result->affected_rows();
}

absl::Status Database::Ping(const db::pg::CallOptions& options) {
  return Run(options, "Ping", {}).status();
}

}  // namespace defifundr::server
