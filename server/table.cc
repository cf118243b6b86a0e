#include "server/table.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/interceptors.h"
#include "server/page_token.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

namespace {

constexpr absl::string_view kFirstCursorTime = "-infinity";
constexpr absl::string_view kFirstCursorId =
    "00000000-0000-0000-0000-000000000000";
// ... and before the first row in descending order.
constexpr absl::string_view kFirstCursorTimeDesc = "infinity";
constexpr absl::string_view kFirstCursorIdDesc =
    "ffffffff-ffff-ffff-ffff-ffffffffffff";

const Descriptor* Input(const google::protobuf::ServiceDescriptor* s,
                        absl::string_view method) {
  const auto* m = s->FindMethodByName(std::string(method));
  return m == nullptr ? nullptr : m->input_type();
}

const Descriptor* Output(const google::protobuf::ServiceDescriptor* s,
                         absl::string_view method) {
  const auto* m = s->FindMethodByName(std::string(method));
  return m == nullptr ? nullptr : m->output_type();
}

// The repeated field of `container` holding `element` messages.
const FieldDescriptor* RepeatedOf(const Descriptor* container,
                                  const Descriptor* element) {
  for (int i = 0; i < container->field_count(); ++i) {
    const FieldDescriptor* f = container->field(i);
    if (f->is_repeated() && f->message_type() == element) return f;
  }
  return nullptr;
}

std::string GetString(const Message& m, absl::string_view name) {
  const FieldDescriptor* f =
      m.GetDescriptor()->FindFieldByName(std::string(name));
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

}  // namespace

namespace {
// The one repeated message field of a kAll method's response, or null.
const FieldDescriptor* RepeatedMessage(const Descriptor* response) {
  for (int i = 0; i < response->field_count(); ++i) {
    const FieldDescriptor* f = response->field(i);
    if (f->is_repeated() && f->message_type() != nullptr) return f;
  }
  return nullptr;
}
}  // namespace

Table::Table(Database& db, TableSpec spec, HandlerOptions options)
    : db_(db), spec_(std::move(spec)), options_(options) {
  resource_ = Output(spec_.service, absl::StrCat("Get", spec_.entity));
  running_ = std::make_unique<std::atomic<int>[]>(spec_.methods.size());
  for (const Method& m : spec_.methods) {
    if (!m.search) continue;
    db_.KeepOffPipeline(m.statement);
    if (!m.count_statement.empty()) db_.KeepOffPipeline(m.count_statement);
  }
}

absl::Status Table::Wait(absl::FunctionRef<void(Done)> start) {
  absl::Notification finished;
  absl::Status status;
  start([&](absl::Status s) {
    status = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return status;
}

const FieldDescriptor* Table::ResourceField(const Descriptor* request) const {
  for (int i = 0; i < request->field_count(); ++i) {
    if (request->field(i)->message_type() == resource_)
      return request->field(i);
  }
  return nullptr;
}

absl::Status Table::CheckId(const Message& message,
                            absl::string_view path) const {
  if (GetString(message, "id").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": required"));
  }
  return absl::OkStatus();
}

absl::Status Table::NotFound(const absl::Status& status,
                             absl::string_view id) const {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(absl::StrCat(spec_.entity, " ", id, " not found"));
}

void Table::CreateAsync(grpc::ServerContextBase* ctx, const Message& request,
                        Message* response, Done done) {
  if (absl::Status s = Admit(); !s.ok()) return done(s);
  const FieldDescriptor* rf = ResourceField(request.GetDescriptor());
  const std::string prefix = absl::StrCat(rf->name(), ".");
  const Message& resource = request.GetReflection()->GetMessage(request, rf);
  const TableMeta* meta = db_.schema().table(spec_.table);
  if (meta == nullptr)
    return done(absl::InternalError("table metadata missing"));
  if (absl::Status s = ValidateColumns(request, "", *meta, nullptr); !s.ok()) {
    return done(s);
  }
  if (absl::Status s = ValidateColumns(resource, prefix, *meta, nullptr);
      !s.ok()) {
    return done(s);
  }
  const ParamSource sources[] = {{prefix, &resource}, {"", &request}};
  const db::pg::CallOptions options = CallOptions(ctx);
  db_.FetchOneAsync(options, q().create, sources, response,
                    [this, options, &request, response,
                     done = std::move(done)](absl::Status s) mutable {
                      // An idempotent create (AIP-155) whose request_id was
                      // used before inserts nothing: answer with the row the
                      // first request created.
                      if (s.code() == absl::StatusCode::kNotFound &&
                          !GetString(request, "request_id").empty()) {
                        const ParamSource by_request[] = {{"", &request}};
                        return db_.FetchOneAsync(
                            options, q().get_by_request_id, by_request,
                            response, std::move(done));
                      }
                      done(s);
                    });
}

grpc::Status Table::Create(grpc::ServerContextBase* ctx, const Message& request,
                           Message* response) {
  return ToGrpcStatus(Wait([&](Done done) {
    CreateAsync(ctx, request, response, std::move(done));
  }));
}

void Table::GetAsync(grpc::ServerContextBase* ctx, const Message& request,
                     Message* response, Done done) {
  if (absl::Status s = Admit(); !s.ok()) return done(s);
  if (absl::Status s = CheckId(request, "id"); !s.ok()) return done(s);
  auto route = ReadRouteFor(ctx);
  if (!route.ok()) return done(route.status());
  const ParamSource sources[] = {{"", &request}};
  db_.FetchOneAsync(
      CallOptions(ctx), q().get, sources, response,
      [this, &request, done = std::move(done)](absl::Status s) {
        done(NotFound(s, GetString(request, "id")));
      },
      *route);
}

grpc::Status Table::Get(grpc::ServerContextBase* ctx, const Message& request,
                        Message* response) {
  return ToGrpcStatus(Wait(
      [&](Done done) { GetAsync(ctx, request, response, std::move(done)); }));
}

absl::Status Table::DoUpdate(grpc::ServerContextBase* ctx,
                             const Message& request, Message* response) {
  const FieldDescriptor* rf = ResourceField(request.GetDescriptor());
  const std::string prefix = absl::StrCat(rf->name(), ".");
  const Message& resource = request.GetReflection()->GetMessage(request, rf);
  if (absl::Status s = CheckId(resource, absl::StrCat(prefix, "id")); !s.ok()) {
    return s;
  }
  const FieldDescriptor* mf =
      request.GetDescriptor()->FindFieldByName("update_mask");
  const auto& mask = static_cast<const google::protobuf::FieldMask&>(
      request.GetReflection()->GetMessage(request, mf));
  absl::flat_hash_set<absl::string_view> immutable = spec_.immutable;
  immutable.insert("id");
  if (absl::Status s = ValidateUpdateMask(mask, resource_, immutable);
      !s.ok()) {
    return s;
  }
  const TableMeta* meta = db_.schema().table(spec_.table);
  if (meta == nullptr) return absl::InternalError("table metadata missing");
  if (absl::Status s = ValidateColumns(resource, prefix, *meta, &mask);
      !s.ok()) {
    return s;
  }
  const ParamSource sources[] = {{prefix, &resource}, {"", &request}};
  absl::Status s =
      db_.FetchOne(CallOptionsFor(ctx, options_.max_rpc_timeout),
                   q().update, sources, response);
  return NotFound(s, GetString(resource, "id"));
}

grpc::Status Table::Update(grpc::ServerContextBase* ctx, const Message& request,
                           Message* response) {
  if (absl::Status s = Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoUpdate(ctx, request, response));
}

grpc::Status Table::Delete(grpc::ServerContextBase* ctx, const Message& request,
                           google::protobuf::Empty* /*response*/) {
  if (absl::Status s = Admit(); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckId(request, "id"); !s.ok()) return ToGrpcStatus(s);
  const ParamSource sources[] = {{"", &request}};
  auto n = db_.Execute(CallOptionsFor(ctx, options_.max_rpc_timeout),
                       q().delete_, sources);
  if (!n.ok()) return ToGrpcStatus(n.status());
  if (*n == 0)
    return ToGrpcStatus(
        NotFound(absl::NotFoundError(""), GetString(request, "id")));
  return grpc::Status::OK;
}

void Table::PageAsync(const db::pg::CallOptions& options,
                      const Message& request, Message* response,
                      db::QueryName statement, db::QueryName count_statement,
                      bool descending, const ReadRoute& route, Done done) {
  const Descriptor* rd = request.GetDescriptor();
  const auto* rr = request.GetReflection();
  auto size =
      EffectivePageSize(rr->GetInt32(request, rd->FindFieldByName("page_size")),
                        options_.default_page_size, options_.max_page_size);
  if (!size.ok()) return done(size.status());
  auto cursor = DecodePageToken(request, GetString(request, "page_token"));
  if (!cursor.ok()) return done(cursor.status());

  ExtraParams extras;
  if (cursor->has_value()) {
    extras["cursor_time"] = db::pg::FormatTimestamp((*cursor)->time);
    extras["cursor_id"] = (*cursor)->id;
  } else {
    extras["cursor_time"] =
        std::string(descending ? kFirstCursorTimeDesc : kFirstCursorTime);
    extras["cursor_id"] =
        std::string(descending ? kFirstCursorIdDesc : kFirstCursorId);
  }
  extras["page_limit"] = absl::StrCat(*size + 1);

  const ParamSource sources[] = {{"", &request}};
  const FieldDescriptor* items =
      RepeatedOf(response->GetDescriptor(), resource_);
  const FieldDescriptor* want_total = rd->FindFieldByName("include_total_size");
  const bool total = want_total != nullptr && rr->GetBool(request, want_total);
  db_.FetchManyAsync(
      options, statement, sources, extras, response, items,
      [this, options, &request, response, items, size = *size, total,
       count_statement, route,
       done = std::move(done)](absl::StatusOr<int> rows) {
        if (!rows.ok()) return done(rows.status());
        const auto* out = response->GetReflection();
        if (*rows > size) {
          out->RemoveLast(response, items);
          const Message& last =
              out->GetRepeatedMessage(*response, items, size - 1);
          const FieldDescriptor* tf =
              resource_->FindFieldByName(spec_.time_column);
          const auto& ts = static_cast<const google::protobuf::Timestamp&>(
              last.GetReflection()->GetMessage(last, tf));
          const Cursor next{absl::FromUnixSeconds(ts.seconds()) +
                                absl::Nanoseconds(ts.nanos()),
                            GetString(last, "id")};
          out->SetString(
              response,
              response->GetDescriptor()->FindFieldByName("next_page_token"),
              EncodePageToken(request, next));
        }
        if (!total) return done(absl::OkStatus());
        const ParamSource count_sources[] = {{"", &request}};
        db_.FetchOneAsync(options, count_statement, count_sources, response,
                          std::move(done), route);
      },
      route);
}

absl::Status Table::DoPage(const db::pg::CallOptions& options,
                           const Message& request, Message* response,
                           db::QueryName statement,
                           db::QueryName count_statement, bool descending,
                           const ReadRoute& route) {
  return Wait([&](Done done) {
    PageAsync(options, request, response, statement, count_statement,
              descending, route, std::move(done));
  });
}

void Table::ListAsync(grpc::ServerContextBase* ctx, const Message& request,
                      Message* response, Done done) {
  if (absl::Status s = Admit(); !s.ok()) return done(s);
  // The filters: enum values, timestamps in range, strings within bounds.
  if (absl::Status s = CheckFields(request, {}); !s.ok()) return done(s);
  bool descending = false;
  if (!q().list_desc.empty()) {
    const FieldDescriptor* order =
        request.GetDescriptor()->FindFieldByName("order");
    const int value = request.GetReflection()->GetEnumValue(request, order);
    if (order->enum_type()->FindValueByNumber(value) == nullptr) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("order: unknown value ", value)));
    }
    descending = order->enum_type()->FindValueByNumber(value)->name() ==
                 "SORT_ORDER_DESCENDING";
  }
  auto route = ReadRouteFor(ctx);
  if (!route.ok()) return done(route.status());
  PageAsync(CallOptions(ctx), request, response,
            descending ? q().list_desc : q().list, q().count, descending,
            *route, std::move(done));
}

grpc::Status Table::List(grpc::ServerContextBase* ctx, const Message& request,
                         Message* response) {
  return ToGrpcStatus(Wait(
      [&](Done done) { ListAsync(ctx, request, response, std::move(done)); }));
}

db::pg::CallOptions Table::CallOptions(grpc::ServerContextBase* ctx) const {
  return CallOptionsFor(ctx, options_.max_rpc_timeout);
}

absl::StatusOr<ReadRoute> Table::ReadRouteFor(grpc::ServerContextBase* ctx) {
  ReadRoute route;
  route.replica = true;
  if (ctx == nullptr) return route;
  const auto& metadata = ctx->client_metadata();
  const auto it = metadata.find(kConsistencyTokenKey);
  if (it == metadata.end()) return route;
  const absl::string_view token(it->second.data(), it->second.size());
  if (absl::Status s = CheckConsistencyToken(token); !s.ok()) return s;
  route.min_lsn = std::string(token);
  return route;
}

const TableMeta& Table::meta() const {
  static const TableMeta* empty = new TableMeta();
  const TableMeta* m = db_.schema().table(spec_.table);
  return m == nullptr ? *empty : *m;
}

absl::Status Table::CheckFields(const Message& message,
                                const std::vector<std::string>& required) {
  const Descriptor* d = message.GetDescriptor();
  const auto* r = message.GetReflection();
  for (const std::string& name : required) {
    const FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) continue;
    bool set;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      set = !r->GetString(message, f).empty();
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      set = r->GetEnumValue(message, f) != 0;
    } else {
      set = !f->has_presence() || r->HasField(message, f);
    }
    if (!set)
      return absl::InvalidArgumentError(absl::StrCat(name, ": required"));
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    // Timestamps: the same range as the columns' (ValidateColumns).
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        r->HasField(message, f)) {
      if (absl::Status s = ValidateTimestamp(r->GetMessage(message, f), "", f);
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (absl::Status s = ValidateRequestString(f, r->GetString(message, f),
                                                 "");
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) continue;
    const int v = r->GetEnumValue(message, f);
    if (f->enum_type()->FindValueByNumber(v) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(f->name(), ": unknown value ", v));
    }
  }
  return absl::OkStatus();
}

absl::Status Table::DoCall(const Method& method, grpc::ServerContextBase* ctx,
                           const Message& request, Message* response) {
  if (absl::Status s = CheckFields(request, method.required); !s.ok()) return s;
  if (method.check_columns) {
    if (absl::Status s = ValidateColumns(request, "", meta(), nullptr);
        !s.ok()) {
      return s;
    }
  }
  const ParamSource sources[] = {{"", &request}};
  db::pg::CallOptions options = CallOptions(ctx);
  // Reads may go to a replica (Database::Run decides by the statement).
  auto route = ReadRouteFor(ctx);
  if (!route.ok()) return route.status();
  // A search: a bounded number at once, each under its own timeout.
  std::atomic<int>* running = nullptr;
  absl::Cleanup release = [&running] {
    if (running != nullptr) running->fetch_sub(1, std::memory_order_relaxed);
  };
  const absl::Time rpc_deadline = options.deadline;
  if (method.search) {
    running = &running_[&method - spec_.methods.data()];
    const int limit = std::max(1, options_.max_concurrent_searches);
    if (running->fetch_add(1, std::memory_order_relaxed) >= limit) {
      return WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              method.name, ": ", limit,
              " searches already running; retry with backoff")),
          "CONCURRENCY_LIMIT");
    }
    options.deadline = std::min(
        options.deadline,
        absl::Now() +
            std::min(options_.search_timeout, options_.max_rpc_timeout));
  }
  switch (method.kind) {
    case MethodKind::kOne: {
      absl::Status s = db_.FetchOne(options, method.statement, sources,
                                    response, {}, *route);
      if (s.code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(absl::StrCat(spec_.entity, " not found"));
      }
      return s;
    }
    case MethodKind::kExecOne:
    case MethodKind::kAffected: {
      auto n = db_.Execute(options, method.statement, sources);
      if (!n.ok()) return n.status();
      if (method.kind == MethodKind::kExecOne) {
        if (*n == 0) {
          return absl::NotFoundError(absl::StrCat(spec_.entity, " not found"));
        }
        return absl::OkStatus();
      }
      const FieldDescriptor* f =
          response->GetDescriptor()->FindFieldByName("affected_rows");
      response->GetReflection()->SetInt64(response, f, *n);
      return absl::OkStatus();
    }
    case MethodKind::kAll: {
      const FieldDescriptor* rows_field =
          RepeatedMessage(response->GetDescriptor());
      if (rows_field == nullptr) {
        return absl::InternalError(absl::StrCat(
            method.name, ": its response has no repeated message field"));
      }
      auto rows = db_.FetchMany(options, method.statement, sources, {},
                                response, rows_field, *route);
      return rows.status();
    }
    case MethodKind::kPage: {
      absl::Status s = DoPage(options, request, response, method.statement,
                              method.count_statement, /*descending=*/false,
                              *route);
      // Stopped by the search's own limit (the server's statement_timeout
      // or ours), not by the caller's deadline.
      if (method.search && s.code() == absl::StatusCode::kDeadlineExceeded &&
          absl::Now() < rpc_deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            method.name, ": the search ran past its limit of ",
            absl::FormatDuration(
                std::min(options_.search_timeout, options_.max_rpc_timeout)),
            "; narrow the search"));
      }
      return s;
    }
  }
  return absl::InternalError("unknown method kind");
}

grpc::Status Table::Call(absl::string_view name, grpc::ServerContextBase* ctx,
                         const Message& request, Message* response) {
  if (absl::Status s = Admit(); !s.ok()) return ToGrpcStatus(s);
  for (const Method& m : spec_.methods) {
    if (m.name == name) return ToGrpcStatus(DoCall(m, ctx, request, response));
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat("no method ", name));
}

std::vector<Binding> Table::Bindings() const {
  const auto* s = spec_.service;
  const std::string& e = spec_.entity;
  const std::string& p = spec_.plural;
  std::vector<Binding> b;
  b.push_back({q().create,
               resource_,
               {resource_, Input(s, absl::StrCat("Create", e))},
               {}});
  b.push_back({q().get,
               resource_,
               {Input(s, absl::StrCat("Get", e))},
               {}});
  b.push_back({q().update,
               resource_,
               {resource_, Input(s, absl::StrCat("Update", e))},
               {}});
  b.push_back({q().delete_,
               nullptr,
               {Input(s, absl::StrCat("Delete", e))},
               {}});
  b.push_back({q().list,
               resource_,
               {Input(s, absl::StrCat("List", p))},
               {"cursor_time", "cursor_id", "page_limit"}});
  b.push_back({q().count,
               Output(s, absl::StrCat("List", p)),
               {Input(s, absl::StrCat("List", p))},
               {}});
  if (!q().list_desc.empty()) {
    b.push_back({q().list_desc,
                 resource_,
                 {Input(s, absl::StrCat("List", p))},
                 {"cursor_time", "cursor_id", "page_limit"}});
  }
  // An idempotent create (AIP-155) answers a repeated request_id with the
  // row the first request created.
  const Descriptor* create = Input(s, absl::StrCat("Create", e));
  if (!q().get_by_request_id.empty()) {
    b.push_back({q().get_by_request_id, resource_, {create}, {}});
  }
  // The domain methods: their rows fill the response (kOne) or the page's
  // resources (kPage); kExecOne and kAffected read none.
  for (const Method& m : spec_.methods) {
    const Descriptor* in = Input(s, m.name);
    const Descriptor* out = Output(s, m.name);
    switch (m.kind) {
      case MethodKind::kOne:
        b.push_back({m.statement, out, {in}, {}});
        break;
      case MethodKind::kExecOne:
      case MethodKind::kAffected:
        b.push_back({m.statement, nullptr, {in}, {}});
        break;
      case MethodKind::kAll:
        // No repeated message field: vet reports rows nobody reads.
        b.push_back({m.statement,
                     RepeatedMessage(out) != nullptr
                         ? RepeatedMessage(out)->message_type()
                         : nullptr,
                     {in},
                     {}});
        break;
      case MethodKind::kPage:
        b.push_back({m.statement,
                     resource_,
                     {in},
                     {"cursor_time", "cursor_id", "page_limit"}});
        if (!m.count_statement.empty()) {
          b.push_back({m.count_statement, out, {in}, {}});
        }
        break;
    }
  }
  return b;
}

}  // namespace defifundr::server
