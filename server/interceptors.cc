#include "server/interceptors.h"

#include <grpcpp/server_context.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/stubs/logging.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/log/log.h"

namespace defifundr::server {
namespace {

absl::string_view CodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[] = {"OK",
                                                 "CANCELLED",
                                                 "UNKNOWN",
                                                 "INVALID_ARGUMENT",
                                                 "DEADLINE_EXCEEDED",
                                                 "NOT_FOUND",
                                                 "ALREADY_EXISTS",
                                                 "PERMISSION_DENIED",
                                                 "RESOURCE_EXHAUSTED",
                                                 "FAILED_PRECONDITION",
                                                 "ABORTED",
                                                 "OUT_OF_RANGE",
                                                 "UNIMPLEMENTED",
                                                 "INTERNAL",
                                                 "UNAVAILABLE",
                                                 "DATA_LOSS",
                                                 "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return (i >= 0 && i < 17) ? kNames[i] : "UNKNOWN";
}

// A random 128-bit id as 32 lower-case hex digits.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%016x%016x", rng(), rng());
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

// A caller's x-request-id we adopt: 1 to 128 characters of [A-Za-z0-9._:-].
bool IsAcceptableRequestId(absl::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseTraceparent(absl::string_view header, std::string* trace_id,
                      std::string* span_id) {
  // version "-" trace-id "-" parent-id "-" trace-flags (W3C Trace Context).
  const std::vector<absl::string_view> parts = absl::StrSplit(header, '-');
  if (parts.size() < 4 || parts[0].size() != 2 || parts[1].size() != 32 ||
      parts[2].size() != 16 || parts[3].size() != 2) {
    return false;
  }
  for (absl::string_view p : parts) {
    if (!IsLowerHex(p)) return false;
  }
  if (parts[0] == "ff" || (parts[0] == "00" && parts.size() != 4)) return false;
  if (parts[1] == std::string(32, '0') || parts[2] == std::string(16, '0')) {
    return false;
  }
  *trace_id = std::string(parts[1]);
  *span_id = std::string(parts[2]);
  return true;
}

namespace {

absl::string_view View(const grpc::string_ref& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

RequestIds ReadRequestIds(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  RequestIds ids;
  if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
    if (IsAcceptableRequestId(View(it->second))) {
      ids.request_id = std::string(View(it->second));
    }
  }
  if (auto it = metadata.find("traceparent"); it != metadata.end()) {
    ParseTraceparent(View(it->second), &ids.trace_id, &ids.span_id);
  }
  return ids;
}

std::string DatabaseApplicationName(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  // PostgreSQL keeps NAMEDATALEN - 1 bytes of application_name.
  constexpr size_t kMaxApplicationName = 63;
  const RequestIds ids = ReadRequestIds(metadata);
  std::string name =
      !ids.trace_id.empty()
          ? absl::StrCat("defifundr-data trace_id=", ids.trace_id)
      : !ids.request_id.empty()
          ? absl::StrCat("defifundr-data request_id=", ids.request_id)
          : std::string();
  if (name.size() > kMaxApplicationName) name.resize(kMaxApplicationName);
  return name;
}

namespace {

// The log contexts callback RPCs left for their access-log lines.
struct KeptContexts {
  absl::Mutex mu;
  absl::flat_hash_map<const grpc::ServerContextBase*, log::Context> by_call
      ABSL_GUARDED_BY(mu);
};

KeptContexts& Kept() {
  static KeptContexts* kept = new KeptContexts();
  return *kept;
}

std::optional<log::Context> TakeKeptContext(const grpc::ServerContextBase* ctx) {
  KeptContexts& k = Kept();
  absl::MutexLock lock(&k.mu);
  auto it = k.by_call.find(ctx);
  if (it == k.by_call.end()) return std::nullopt;
  log::Context context = std::move(it->second);
  k.by_call.erase(it);
  return context;
}

}  // namespace

void KeepLogContextForAccessLog(const grpc::ServerContextBase* ctx) {
  KeptContexts& k = Kept();
  absl::MutexLock lock(&k.mu);
  k.by_call[ctx] = log::ThreadContext();
}

namespace {

class AccessLog : public grpc::experimental::Interceptor {
 public:
  explicit AccessLog(grpc::experimental::ServerRpcInfo* info)
      : info_(info), start_(absl::Now()) {}
  ~AccessLog() override { TakeKeptContext(info_->server_context()); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* md = methods->GetRecvInitialMetadata();
      if (md != nullptr) {
        RequestIds ids = ReadRequestIds(*md);
        request_id_ = std::move(ids.request_id);
        trace_id_ = std::move(ids.trace_id);
        span_id_ = std::move(ids.span_id);
      }
      if (request_id_.empty()) {
        request_id_ = NewRequestId();
        if (md != nullptr) {
          // The handler reads it back (ReadRequestIds): it replaces an
          // unacceptable one. The string lives as long as the call.
          md->erase("x-request-id");
          md->emplace("x-request-id", request_id_);
        }
      }
      info_->server_context()->AddTrailingMetadata("x-request-id", request_id_);
      SetContext();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // gRPC hands no message on when a unary request did not parse (a
      // stream's end looks the same, and is no fault).
      unparseable_ =
          info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY &&
          methods->GetRecvMessage() == nullptr;
      // The handler runs next, on this thread: its lines carry the ids.
      SetContext();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        unparseable_) {
      // The caller's fault, which gRPC answers INTERNAL with no message.
      const absl::string_view method = info_->method();
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request: not a valid ",
                       method.substr(method.rfind('/') + 1),
                       " request message (protobuf wire format; strings "
                       "must be UTF-8)")));
      NoteUnparseableRequest(method, info_->server_context()->peer(), "");
      log::ClearThreadContext();
    } else if (methods->QueryInterceptionHookPoint(
                   InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const auto severity =
          status.error_code() == grpc::StatusCode::INTERNAL ||
                  status.error_code() == grpc::StatusCode::UNKNOWN
              ? log::Severity::kError
              : log::Severity::kInfo;
      // The context the handler left (its ids, the backend it used): kept
      // for this line by a callback handler, else this thread's; the ids set
      // again in case this hook runs on another thread.
      if (auto kept = TakeKeptContext(info_->server_context());
          kept.has_value()) {
        log::RestoreThreadContext(*std::move(kept));
      }
      log::SetThreadContextField("request_id", request_id_);
      if (!trace_id_.empty()) {
        log::SetThreadContextField("trace_id", trace_id_);
        log::SetThreadContextField("span_id", span_id_);
      }
      log::Write(severity, "rpc",
                 {{"method", std::string(info_->method())},
                  {"code", std::string(CodeName(status.error_code()))},
                  {"ms", absl::ToDoubleMilliseconds(absl::Now() - start_)},
                  {"peer", info_->server_context()->peer()},
                  {"error", status.error_message()}});
      log::ClearThreadContext();
    }
    methods->Proceed();
  }

 private:
  void SetContext() {
    if (trace_id_.empty()) {
      log::SetThreadContext({{"request_id", request_id_}});
    } else {
      log::SetThreadContext({{"request_id", request_id_},
                             {"trace_id", trace_id_},
                             {"span_id", span_id_}});
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  bool unparseable_ = false;
  std::string request_id_;
  std::string trace_id_;
  std::string span_id_;
  absl::Time start_;
};

class AccessLogFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AccessLog(info);
  }
};

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : info_(info), metrics_(metrics), start_(absl::Now()) {
    metrics_->RpcStarted(info_->method());
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->RpcHandled(info_->method(),
                           methods->GetSendStatus().error_code(),
                           absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  Metrics* metrics_;
  absl::Time start_;
};

class MetricsFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info, metrics_);
  }

 private:
  Metrics* metrics_;
};

class AdmissionInterceptor : public grpc::experimental::Interceptor {
 public:
  AdmissionInterceptor(Admission* admission, bool counted)
      : admission_(admission), counted_(counted) {
    if (counted_) admission_->CallStarted();
  }
  ~AdmissionInterceptor() override {
    if (counted_) admission_->CallEnded();
  }
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  Admission* admission_;
  bool counted_;
};

class AdmissionFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AdmissionFactory(Admission* admission) : admission_(admission) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AdmissionInterceptor(
        admission_, absl::string_view(info->method()) !=
                        "/grpc.health.v1.Health/Watch");
  }

 private:
  Admission* admission_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAdmissionInterceptorFactory(Admission* admission) {
  return std::make_unique<AdmissionFactory>(admission);
}

void NoteUnparseableRequest(absl::string_view method, absl::string_view peer,
                            absl::string_view detail) {
  static absl::Mutex mu(absl::kConstInit);
  static absl::Time last ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  static int64_t count ABSL_GUARDED_BY(mu) = 0;
  int64_t n;
  {
    absl::MutexLock lock(&mu);
    ++count;
    const absl::Time now = absl::Now();
    if (now - last < kUnparseableLogInterval) return;
    last = now;
    n = count;
    count = 0;
  }
  // Bounded: the method is the path the caller sent.
  log::Write(log::Severity::kWarning, "unparseable request",
             {{"method", std::string(method.substr(0, 128))},
              {"peer", std::string(peer.substr(0, 128))},
              {"requests", n},
              {"detail", std::string(detail.substr(0, 256))}});
}

void InstallProtobufLogHandler() {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel level,
                                     const char* filename, int line,
                                     const std::string& message) {
    // The parser's complaints about a request (the field is named, the
    // value never is).
    if (absl::StrContains(message, "when parsing a protocol buffer") ||
        absl::StrContains(message, "invalid UTF-8")) {
      return NoteUnparseableRequest("", "", message);
    }
    log::Write(level >= google::protobuf::LOGLEVEL_ERROR
                   ? log::Severity::kError
                   : level == google::protobuf::LOGLEVEL_INFO
                         ? log::Severity::kInfo
                         : log::Severity::kWarning,
               "protobuf", {{"message", message},
                            {"source", absl::StrCat(filename, ":", line)}});
  });
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics) {
  return std::make_unique<MetricsFactory>(metrics);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAccessLogInterceptorFactory() {
  return std::make_unique<AccessLogFactory>();
}

}  // namespace defifundr::server
