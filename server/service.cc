#include "server/service.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/empty.pb.h>
#include <grpcpp/impl/codegen/method_handler.h>
#include <grpcpp/impl/codegen/rpc_service_method.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "db/pg/transaction.h"
#include "server/interceptors.h"
#include "server/log/log.h"
#include "server/status.h"

namespace defifundr::server {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// ---------------------------------------------------------------------------
// Rpc

absl::StatusOr<db::pg::Result> Rpc::Run(db::QueryName statement,
                                        std::span<const ParamSource> sources,
                                        const ExtraParams& extras) {
  Database& db = table_.db();
  return conn_ != nullptr ? db.RunOn(*conn_, options_, statement, sources, extras)
                          : db.Run(options_, statement, sources, extras);
}

absl::Status Rpc::FetchOne(db::QueryName statement,
                           std::span<const ParamSource> sources, Message* out,
                           const ExtraParams& extras) {
  if (conn_ == nullptr) {
    return table_.db().FetchOne(options_, statement, sources, out, extras);
  }
  auto result = Run(statement, sources, extras);
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return absl::NotFoundError("no row");
  out->Clear();
  return DecodeRow(*result, 0, out);
}

absl::Status Rpc::InTransaction(absl::FunctionRef<absl::Status(Rpc&)> body) {
  return db::pg::RunInTransaction(
      table_.db().pool(), db::pg::IsolationLevel::kReadCommitted, options_,
      [&](db::pg::Connection& conn) -> absl::Status {
        Rpc in_transaction(table_, options_, &conn);
        return body(in_transaction);
      });
}

absl::Status Rpc::Decode(const db::pg::Result& result, int row, Message* out,
                         std::span<const absl::string_view> skip) {
  return DecodeRow(result, row, out, skip);
}

absl::StatusOr<const TableMeta*> Rpc::meta(absl::string_view table) const {
  const TableMeta* meta = table_.db().schema().table(table);
  if (meta == nullptr) {
    return absl::InternalError(
        absl::StrCat("no metadata of table ", table, " in the loaded schema"));
  }
  return meta;
}

// ---------------------------------------------------------------------------
// DeclaredService

namespace {

// A call's messages on one arena, its first block inline (most calls need
// no other).
class CallMessages {
 public:
  CallMessages(const Message& request, const Message& response)
      : arena_(Options(block_, sizeof(block_))),
        request_(request.New(&arena_)),
        response_(response.New(&arena_)) {}
  Message* request() { return request_; }
  Message* response() { return response_; }

 private:
  static google::protobuf::ArenaOptions Options(char* block, size_t size) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = size;
    return options;
  }
  alignas(8) char block_[8192];
  google::protobuf::Arena arena_;
  Message* request_;
  Message* response_;
};

const Message& Prototype(const google::protobuf::Descriptor* type) {
  return *google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      type);
}

// INVALID_ARGUMENT (and a rate-limited warning) for a request that is not
// the method's message; gRPC itself would answer INTERNAL with no message.
grpc::Status Parse(const MethodDescriptor& method,
                   const grpc::ServerContextBase& ctx,
                   const grpc::ByteBuffer& in, Message* request) {
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&in));
  if (request->ParseFromZeroCopyStream(&reader) && reader.status().ok()) {
    return grpc::Status::OK;
  }
  NoteUnparseableRequest(absl::StrCat("/", method.service()->full_name(), "/",
                                      method.name()),
                         ctx.peer(), "");
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("request: not a valid ", method.name(),
                   " request message (protobuf wire format; strings must be "
                   "UTF-8)"));
}

grpc::Status Serialize(const Message& response, grpc::ByteBuffer* out) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(response, out,
                                                       &own_buffer);
}

}  // namespace

struct DeclaredService::Handler {
  enum class Kind { kCreate, kGet, kList, kUpdate, kDelete, kDomain, kCustom };
  Kind kind;
  const MethodDescriptor* descriptor;
  std::string path;  // "/defifundr.data.v1.UserService/GetUser"
  const Message* request;
  const Message* response;
  const CustomMethod* custom = nullptr;
  // Whether the RPC may write: with reads on a replica, its response
  // carries a consistency token.
  bool writes = false;
};

namespace {

// With reads on a replica, a write's response carries the primary's WAL
// position after it (kConsistencyTokenKey). A failure to read it leaves
// the token out (the write stands) and is logged.
void AddConsistencyToken(grpc::ServerContextBase* ctx,
                         const absl::StatusOr<std::string>& lsn) {
  if (lsn.ok()) {
    ctx->AddInitialMetadata(kConsistencyTokenKey, *lsn);
    return;
  }
  log::Warning("write done, but its consistency token could not be read; "
               "the response goes without it",
               {{"error", std::string(lsn.status().message())}});
}

}  // namespace

DeclaredService::DeclaredService(const ServiceDeclaration& declaration,
                                 Database& db, const HandlerOptions& options)
    : declaration_(declaration),
      name_(declaration.table.service->full_name()),
      table_(db, declaration.table, options) {}

DeclaredService::~DeclaredService() = default;

absl::StatusOr<std::unique_ptr<DeclaredService>> DeclaredService::Create(
    const ServiceDeclaration& declaration, Database& db,
    const HandlerOptions& options) {
  const TableSpec& spec = declaration.table;
  if (spec.service == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the declaration of table ", spec.table, " names no service"));
  }
  std::unique_ptr<DeclaredService> service(
      new DeclaredService(declaration, db, options));
  absl::flat_hash_set<std::string> served;
  for (int i = 0; i < spec.service->method_count(); ++i) {
    const MethodDescriptor* method = spec.service->method(i);
    if (absl::Status s = service->Add(method); !s.ok()) return s;
    served.insert(method->name());
  }
  auto missing = [&](absl::string_view rpc) {
    return absl::FailedPreconditionError(
        absl::StrCat(service->name(), ".", rpc,
                     ": declared for table ", spec.table,
                     " but not an RPC of the service in its .proto"));
  };
  for (const server::Method& m : spec.methods) {
    if (!served.contains(m.name)) return missing(m.name);
  }
  for (const CustomMethod& m : declaration.custom) {
    if (!served.contains(m.name)) return missing(m.name);
  }
  return service;
}

absl::Status DeclaredService::Add(const MethodDescriptor* method) {
  const TableSpec& spec = declaration_.table;
  auto m = std::make_unique<Handler>();
  m->descriptor = method;
  m->path = absl::StrCat("/", name_, "/", method->name());
  m->request = &Prototype(method->input_type());
  m->response = &Prototype(method->output_type());
  const std::string& rpc = method->name();
  bool found = false;
  for (const CustomMethod& c : declaration_.custom) {
    if (c.name != rpc) continue;
    if (c.request != method->input_type() ||
        c.response != method->output_type()) {
      return absl::FailedPreconditionError(absl::StrCat(
          name_, ".", rpc, ": its handler takes ", c.request->full_name(),
          " and returns ", c.response->full_name(), ", the .proto says ",
          method->input_type()->full_name(), " and ",
          method->output_type()->full_name()));
    }
    m->kind = Handler::Kind::kCustom;
    m->custom = &c;
    found = true;
  }
  if (!found) {
    for (const server::Method& d : spec.methods) {
      if (d.name == rpc) {
        m->kind = Handler::Kind::kDomain;
        found = true;
      }
    }
  }
  if (!found) {
    found = true;
    if (rpc == absl::StrCat("Create", spec.entity)) {
      m->kind = Handler::Kind::kCreate;
    } else if (rpc == absl::StrCat("Get", spec.entity)) {
      m->kind = Handler::Kind::kGet;
    } else if (rpc == absl::StrCat("List", spec.plural)) {
      m->kind = Handler::Kind::kList;
    } else if (rpc == absl::StrCat("Update", spec.entity)) {
      m->kind = Handler::Kind::kUpdate;
    } else if (rpc == absl::StrCat("Delete", spec.entity)) {
      m->kind = Handler::Kind::kDelete;
    } else {
      found = false;
    }
  }
  if (!found) {
    return absl::FailedPreconditionError(absl::StrCat(
        name_, ".", rpc,
        ": an RPC of the .proto that the declaration of table ", spec.table,
        " (server/tables/) neither declares nor serves as a standard method"));
  }
  Database& db = table_.db();
  switch (m->kind) {
    case Handler::Kind::kCreate:
    case Handler::Kind::kUpdate:
    case Handler::Kind::kDelete:
      m->writes = true;
      break;
    case Handler::Kind::kDomain:
      for (const server::Method& d : spec.methods) {
        if (d.name == rpc) m->writes = !db.IsReadOnly(d.statement);
      }
      break;
    case Handler::Kind::kCustom:
      for (const Binding& b : m->custom->queries) {
        if (!db.IsReadOnly(b.statement)) m->writes = true;
      }
      break;
    default:
      break;
  }
  const int index = static_cast<int>(handlers_.size());
  const Handler* raw = m.get();
  const bool callback = m->kind == Handler::Kind::kCreate ||
                        m->kind == Handler::Kind::kGet ||
                        m->kind == Handler::Kind::kList;
  if (callback) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        raw->path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(
        index,
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                 grpc::ByteBuffer>(
            [this, raw](grpc::CallbackServerContext* ctx,
                        const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
              grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
              auto* call = new CallMessages(*raw->request, *raw->response);
              if (grpc::Status parsed =
                      Parse(*raw->descriptor, *ctx, *in, call->request());
                  !parsed.ok()) {
                delete call;
                reactor->Finish(parsed);
                return reactor;
              }
              auto finish = [call, reactor, ctx, out](absl::Status s) {
                KeepLogContextForAccessLog(ctx);
                const grpc::Status status =
                    s.ok() ? Serialize(*call->response(), out)
                           : ToGrpcStatus(s);
                delete call;
                reactor->Finish(status);
              };
              Table::Done done = [this, raw, ctx,
                                  finish = std::move(finish)](absl::Status s) {
                if (!s.ok() || !raw->writes || !table_.db().has_read_pool()) {
                  return finish(std::move(s));
                }
                table_.db().CurrentWalLsnAsync(
                    table_.CallOptions(ctx),
                    [ctx, finish](absl::StatusOr<std::string> lsn) {
                      AddConsistencyToken(ctx, lsn);
                      finish(absl::OkStatus());
                    });
              };
              switch (raw->kind) {
                case Handler::Kind::kCreate:
                  table_.CreateAsync(ctx, *call->request(), call->response(),
                                     std::move(done));
                  break;
                case Handler::Kind::kGet:
                  table_.GetAsync(ctx, *call->request(), call->response(),
                                  std::move(done));
                  break;
                default:
                  table_.ListAsync(ctx, *call->request(), call->response(),
                                   std::move(done));
                  break;
              }
              return reactor;
            }));
  } else {
    AddMethod(new grpc::internal::RpcServiceMethod(
        raw->path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<DeclaredService, grpc::ByteBuffer,
                                             grpc::ByteBuffer>(
            [raw](DeclaredService* self, grpc::ServerContext* ctx,
                  const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
              CallMessages call(*raw->request, *raw->response);
              if (grpc::Status parsed =
                      Parse(*raw->descriptor, *ctx, *in, call.request());
                  !parsed.ok()) {
                return parsed;
              }
              Table& table = self->table_;
              const Message& request = *call.request();
              Message* response = call.response();
              grpc::Status status;
              switch (raw->kind) {
                case Handler::Kind::kUpdate:
                  status = table.Update(ctx, request, response);
                  break;
                case Handler::Kind::kDelete:
                  status = table.Delete(
                      ctx, request,
                      static_cast<google::protobuf::Empty*>(response));
                  break;
                case Handler::Kind::kDomain:
                  status = table.Call(raw->descriptor->name(), ctx, request,
                                      response);
                  break;
                default: {
                  if (absl::Status s = table.Admit(); !s.ok()) {
                    return ToGrpcStatus(s);
                  }
                  Rpc rpc(table, ctx);
                  status = ToGrpcStatus(raw->custom->run(rpc, request, response));
                  break;
                }
              }
              if (!status.ok()) return status;
              if (raw->writes && table.db().has_read_pool()) {
                AddConsistencyToken(
                    ctx, table.db().CurrentWalLsn(table.CallOptions(ctx)));
              }
              return Serialize(*response, out);
            },
            this)));
  }
  handlers_.push_back(std::move(m));
  return absl::OkStatus();
}

std::vector<Binding> DeclaredService::Bindings() const {
  std::vector<Binding> bindings = table_.Bindings();
  for (const CustomMethod& c : declaration_.custom) {
    for (const Binding& b : c.queries) bindings.push_back(b);
  }
  return bindings;
}

}  // namespace defifundr::server
