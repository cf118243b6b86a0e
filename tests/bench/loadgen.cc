// defifundr_loadgen: the HTTP/2 load generator of `make bench`
// (scripts/bench.sh), built on gRPC's C++ callback client API and the
// service's generated stubs, so that it can check every answer: a call counts
// as done only when it returned OK and the expected row(s). Works against any
// server of the same API (this service, or the Go peer in tests/bench/go_peer).
//
// Each of --clients clients has a connection of its own (as h2load -c).
//   * --rate 0 (closed loop): every client keeps one call in flight and sends
//     the next as soon as the last returned: the throughput.
//   * --rate R (open loop): R calls per second in all, sent on schedule over
//     the clients whatever the answers' latency, so that latency is measured
//     without coordinated omission.
// Only calls sent after --warmup_seconds and answered within --seconds more
// count. Prints one JSON object on stdout:
//   {"method", "clients", "rate", "seconds", "ok", "errors", "error_codes",
//    "first_error", "rps", "p50_us", "p99_us", "max_us"}
// where error_codes counts the failed calls by gRPC status code ("-1": an
// OK answer with the wrong content), rps = ok calls per second of the measured
// window and the latencies (microseconds) are of the ok calls. Exits 1 when the
// set-up fails.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "defifundr/data/v1/otp.grpc.pb.h"
#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, method, "GetUser",
          "GetUser | ListUsers | CreateSession | RegisterUser | VerifyOtp");
ABSL_FLAG(int, clients, 16, "clients, each with a connection of its own");
ABSL_FLAG(double, rate, 0,
          "calls per second in all (open loop); 0: closed loop, as fast as "
          "the answers come");
ABSL_FLAG(double, seconds, 5, "measured seconds");
ABSL_FLAG(double, warmup_seconds, 1, "seconds of load before measuring");
ABSL_FLAG(std::string, user_id, "",
          "an existing user's id: GetUser reads it, CreateSession makes its "
          "sessions");
ABSL_FLAG(int, page_size, 50,
          "ListUsers: rows per page (all must come, unless the table has "
          "fewer)");

namespace defifundr::bench {
namespace {

using namespace data::v1;  // NOLINT

// What one kind of call sends and how its answer is checked.
struct Workload {
  // Starts one call on connection `client`; `done` gets "" for a good
  // answer, else what was wrong. Must not block.
  std::function<void(int client, std::function<void(std::string)> done)> send;
};

std::string StatusText(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), ": ",
                      s.error_message());
}

// Per-call state of the callback API: lives until the call ends.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

class LoadGen {
 public:
  explicit LoadGen(int clients) {
    for (int i = 0; i < clients; ++i) {
      grpc::ChannelArguments args;
      // A connection per client, not one shared by all of them.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("defifundr.loadgen.client", i);
      auto channel =
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target),
                                    grpc::InsecureChannelCredentials(), args);
      users_.push_back(UserService::NewStub(channel));
      sessions_.push_back(SessionService::NewStub(channel));
      otps_.push_back(OtpService::NewStub(channel));
      channels_.push_back(std::move(channel));
    }
  }

  bool Connect() {
    for (auto& channel : channels_) {
      if (!channel->WaitForConnected(
              absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
        return false;
      }
    }
    return true;
  }

  Workload Make(const std::string& method, std::string* error) {
    const std::string user_id = absl::GetFlag(FLAGS_user_id);
    const int page_size = absl::GetFlag(FLAGS_page_size);
    if (method == "GetUser") {
      return {[this, user_id](int c, auto done) {
        auto* call = new Call<GetUserRequest, User>;
        call->request.set_id(user_id);
        Deadline(call->context);
        users_[c]->async()->GetUser(
            &call->context, &call->request, &call->response,
            [call, done, user_id](grpc::Status s) {
              std::string error = !s.ok()                          ? StatusText(s)
                   : call->response.id() != user_id ? "another row"
                                                    : "";
              delete call;  // Before done(): the run may end there.
              done(std::move(error));
            });
      }};
    }
    if (method == "ListUsers") {
      return {[this, page_size](int c, auto done) {
        auto* call = new Call<ListUsersRequest, ListUsersResponse>;
        call->request.set_page_size(page_size);
        Deadline(call->context);
        users_[c]->async()->ListUsers(
            &call->context, &call->request, &call->response,
            [call, done, page_size](grpc::Status s) {
              // A full page, or the whole table when it has fewer rows
              // (then there is no next page).
              const int rows = call->response.users_size();
              const bool whole_page =
                  rows == page_size ||
                  (rows < page_size &&
                   call->response.next_page_token().empty());
              std::string error = !s.ok()       ? StatusText(s)
                   : !whole_page ? absl::StrCat(rows, " rows")
                                 : "";
              delete call;  // Before done(): the run may end there.
              done(std::move(error));
            });
      }};
    }
    if (method == "CreateSession") {
      return {[this, user_id](int c, auto done) {
        auto* call = new Call<CreateSessionRequest, Session>;
        Session* s = call->request.mutable_session();
        s->set_user_id(user_id);
        s->set_refresh_token(absl::StrCat("bench-", Next()));
        s->set_user_agent("defifundr_loadgen");
        s->set_user_login_type("email");
        s->set_client_ip("10.0.0.1");
        s->mutable_expires_at()->set_seconds(
            absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
        Deadline(call->context);
        sessions_[c]->async()->CreateSession(
            &call->context, &call->request, &call->response,
            [call, done, user_id](grpc::Status s) {
              std::string error = !s.ok()                               ? StatusText(s)
                   : call->response.user_id() != user_id ? "another user"
                                                         : "";
              delete call;  // Before done(): the run may end there.
              done(std::move(error));
            });
      }};
    }
    if (method == "RegisterUser") {
      return {[this](int c, auto done) {
        auto* call = new Call<RegisterUserRequest, RegisterUserResponse>;
        User* u = call->request.mutable_user();
        const std::string email =
            absl::StrCat("bench-", getpid(), "-", Next(), "@loadgen.example");
        u->set_email(email);
        u->set_account_type(ACCOUNT_TYPE_PERSONAL);
        u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_FREELANCER);
        u->set_first_name("Load");
        u->set_last_name("Gen");
        u->set_nationality("Ghana");
        call->request.set_password_hash("$argon2id$bench");
        Otp* o = call->request.mutable_otp();
        o->set_otp_code("123456");
        o->set_hashed_otp("hashed");
        o->mutable_expires_at()->set_seconds(
            absl::ToUnixSeconds(absl::Now() + absl::Minutes(10)));
        Deadline(call->context);
        users_[c]->async()->RegisterUser(
            &call->context, &call->request, &call->response,
            [call, done, email](grpc::Status s) {
              std::string error = !s.ok()                                  ? StatusText(s)
                   : call->response.user().email() != email ? "another user"
                                                            : "";
              delete call;  // Before done(): the run may end there.
              done(std::move(error));
            });
      }};
    }
    if (method == "VerifyOtp") {
      // A user and an OTP per client (a user has one pending OTP per
      // purpose) that never runs out of attempts; every call sends a wrong
      // code, so each is a whole locking write transaction.
      for (size_t c = 0; c < otps_.size(); ++c) {
        CreateUserRequest user_request;
        User* u = user_request.mutable_user();
        u->set_email(
            absl::StrCat("otp-", getpid(), "-", c, "@loadgen.example"));
        u->set_account_type(ACCOUNT_TYPE_PERSONAL);
        u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_FREELANCER);
        u->set_first_name("Load");
        u->set_last_name("Gen");
        u->set_nationality("Ghana");
        grpc::ClientContext user_context;
        User user;
        if (const grpc::Status s =
                users_[c]->CreateUser(&user_context, user_request, &user);
            !s.ok()) {
          *error = absl::StrCat("CreateUser: ", StatusText(s));
          return {};
        }
        CreateOtpRequest create;
        Otp* o = create.mutable_otp();
        o->set_user_id(user.id());
        o->set_otp_code("123456");
        o->set_hashed_otp("hashed");
        o->set_purpose(OTP_PURPOSE_EMAIL_VERIFICATION);
        o->set_max_attempts(2000000000);
        o->mutable_expires_at()->set_seconds(
            absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
        grpc::ClientContext context;
        Otp created;
        const grpc::Status s = otps_[c]->CreateOtp(&context, create, &created);
        if (!s.ok()) {
          *error = absl::StrCat("CreateOtp: ", StatusText(s));
          return {};
        }
        otp_ids_.push_back(created.id());
      }
      return {[this](int c, auto done) {
        auto* call = new Call<VerifyOtpRequest, VerifyOtpResponse>;
        call->request.set_id(otp_ids_[c]);
        call->request.set_code("000000");
        Deadline(call->context);
        otps_[c]->async()->VerifyOtp(
            &call->context, &call->request, &call->response,
            [call, done](grpc::Status s) {
              std::string error = !s.ok() ? StatusText(s)
                   : call->response.result() != VerifyOtpResponse::WRONG_CODE
                       ? "not WRONG_CODE"
                       : "";
              delete call;  // Before done(): the run may end there.
              done(std::move(error));
            });
      }};
    }
    *error = absl::StrCat("unknown --method ", method);
    return {};
  }

 private:
  static void Deadline(grpc::ClientContext& context) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  }
  int64_t Next() { return counter_.fetch_add(1); }

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<UserService::Stub>> users_;
  std::vector<std::unique_ptr<SessionService::Stub>> sessions_;
  std::vector<std::unique_ptr<OtpService::Stub>> otps_;
  std::vector<std::string> otp_ids_;
  std::atomic<int64_t> counter_{0};
};

// The measured outcome.
class Tally {
 public:
  Tally(absl::Time measure_from, absl::Time measure_until)
      : from_(measure_from), until_(measure_until) {}

  void Record(absl::Time sent, const std::string& error) {
    const absl::Time now = absl::Now();
    if (sent < from_ || now > until_) return;
    absl::MutexLock lock(&mu_);
    if (!error.empty()) {
      if (errors_++ == 0) first_error_ = error;
      // "code N: ..." for a failed call (StatusText); anything else is a
      // wrong answer (-1).
      int code = -1;
      if (absl::StartsWith(error, "code ")) {
        const size_t colon = error.find(':');
        if (!absl::SimpleAtoi(error.substr(5, colon - 5), &code)) code = -1;
      }
      ++codes_[code];
      return;
    }
    latencies_us_.push_back(absl::ToInt64Microseconds(now - sent));
  }

  std::string Json(const std::string& method, int clients, double rate) {
    absl::MutexLock lock(&mu_);
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) -> int64_t {
      if (latencies_us_.empty()) return 0;
      const size_t i = std::min(latencies_us_.size() - 1,
                                static_cast<size_t>(p * latencies_us_.size()));
      return latencies_us_[i];
    };
    const double seconds = absl::ToDoubleSeconds(until_ - from_);
    std::string escaped;
    for (char c : first_error_) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (static_cast<unsigned char>(c) >= 0x20) escaped.push_back(c);
    }
    std::string codes;
    for (const auto& [code, n] : codes_) {
      absl::StrAppend(&codes, codes.empty() ? "" : ",", "\"", code, "\":", n);
    }
    return absl::StrFormat(
        "{\"method\":\"%s\",\"clients\":%d,\"rate\":%.0f,\"seconds\":%.1f,"
        "\"ok\":%d,\"errors\":%d,\"error_codes\":{%s},"
        "\"first_error\":\"%s\",\"rps\":%.0f,\"p50_us\":%d,\"p99_us\":%d,"
        "\"max_us\":%d}",
        method, clients, rate, seconds, latencies_us_.size(), errors_, codes,
        escaped, latencies_us_.size() / seconds, pct(0.50), pct(0.99),
        latencies_us_.empty() ? 0 : latencies_us_.back());
  }

 private:
  const absl::Time from_, until_;
  absl::Mutex mu_;
  std::vector<int64_t> latencies_us_;
  int64_t errors_ = 0;
  std::map<int, int64_t> codes_;  // Failed calls by gRPC code (-1: wrong).
  std::string first_error_;
};

int Run() {
  const std::string method = absl::GetFlag(FLAGS_method);
  const int clients = std::max(1, absl::GetFlag(FLAGS_clients));
  const double rate = absl::GetFlag(FLAGS_rate);
  LoadGen gen(clients);
  if (!gen.Connect()) {
    std::fprintf(stderr, "loadgen: cannot connect to %s\n",
                 absl::GetFlag(FLAGS_target).c_str());
    return 1;
  }
  std::string error;
  Workload work = gen.Make(method, &error);
  if (!work.send) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  const absl::Time from =
      start + absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  const absl::Time until = from + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  Tally tally(from, until);
  absl::Mutex mu;
  int in_flight = 0;

  // Sends one call on `client`; when it ends, `then` runs (closed loop).
  std::function<void(int)> send_closed;
  auto finish = [&] {
    absl::MutexLock lock(&mu);
    --in_flight;
  };
  send_closed = [&](int client) {
    const absl::Time sent = absl::Now();
    work.send(client, [&, client, sent](std::string e) {
      tally.Record(sent, e);
      if (absl::Now() < until) {
        send_closed(client);  // The next call of this client.
      } else {
        finish();
      }
    });
  };
  if (rate <= 0) {
    {
      absl::MutexLock lock(&mu);
      in_flight = clients;
    }
    for (int c = 0; c < clients; ++c) send_closed(c);
  } else {
    // Open loop: call i is due at start + i / rate, on client i % clients.
    const absl::Duration interval = absl::Seconds(1) / rate;
    for (int64_t i = 0;; ++i) {
      const absl::Time due = start + interval * i;
      if (due >= until) break;
      const absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
      {
        absl::MutexLock lock(&mu);
        ++in_flight;
      }
      const absl::Time sent = due;  // Late sends count their delay too.
      work.send(static_cast<int>(i % clients), [&, sent](std::string e) {
        tally.Record(sent, e);
        finish();
      });
    }
  }
  auto all_done = [&]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu) { return in_flight == 0; };
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&all_done));
  }
  std::printf("%s\n", tally.Json(method, clients, rate).c_str());
  return 0;
}

}  // namespace
}  // namespace defifundr::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "HTTP/2 load of one method of the DefiFundr data API; see the header "
      "of tests/bench/loadgen.cc");
  absl::ParseCommandLine(argc, argv);
  const int code = defifundr::bench::Run();
  // gRPC's threads may still be releasing the last calls and channels; a
  // normal exit would run static destructors under them. The result is
  // printed, so end the process at once.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}
