// Bounded randomized fuzzing of the parsers that take input from outside:
// page tokens (callers), migration files (operators), and request messages
// (callers, through protobuf's parser into validation and parameter
// binding). Each target mutates a corpus of valid inputs for a fixed time
// and checks that every input is either accepted with a sound result or
// refused with INVALID_ARGUMENT and a short message; a crash, a hang or
// another outcome fails the test.
//
// DEFIFUNDR_FUZZ_SECONDS (default 3) sets each target's time;
// DEFIFUNDR_FUZZ_SEED replays a run (every run prints its seed). Each target
// prints the inputs it ran.
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/migrate/migration.h"
#include "db/query_catalog.h"
#include "defifundr/data/v1/kyc.grpc.pb.h"
#include "defifundr/data/v1/otp.grpc.pb.h"
#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "defifundr/data/v1/transactions.grpc.pb.h"
#include "defifundr/data/v1/user_devices.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/codec.h"
#include "server/page_token.h"
#include "server/table.h"
#include "server/validation.h"

namespace defifundr {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

absl::Duration Budget() {
  int seconds = 3;
  if (const char* s = std::getenv("DEFIFUNDR_FUZZ_SECONDS")) {
    (void)absl::SimpleAtoi(s, &seconds);
  }
  return absl::Seconds(seconds);
}

uint64_t Seed() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("DEFIFUNDR_FUZZ_SEED")) {
    (void)absl::SimpleAtoi(s, &seed);
  }
  return seed;
}

// Byte- and token-level mutations of one input, in the manner of
// libFuzzer's default mutators.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return n == 0 ? 0 : rng_() % n; }
  bool OneIn(size_t n) { return Below(n) == 0; }

  std::string Mutate(std::string s, const std::vector<std::string>& dictionary) {
    const int rounds = 1 + Below(4);
    for (int r = 0; r < rounds; ++r) {
      switch (Below(9)) {
        case 0:  // flip a bit
          if (!s.empty()) s[Below(s.size())] ^= static_cast<char>(1 << Below(8));
          break;
        case 1:  // a random byte
          if (!s.empty()) s[Below(s.size())] = static_cast<char>(rng_());
          break;
        case 2:  // insert random bytes
          s.insert(Below(s.size() + 1), RandomBytes(1 + Below(8)));
          break;
        case 3:  // erase a range
          if (!s.empty()) {
            const size_t at = Below(s.size());
            s.erase(at, 1 + Below(std::min<size_t>(64, s.size() - at)));
          }
          break;
        case 4:  // truncate
          s.resize(Below(s.size() + 1));
          break;
        case 5:  // duplicate a range
          if (!s.empty()) {
            const size_t at = Below(s.size());
            const std::string piece = s.substr(at, 1 + Below(64));
            s.insert(Below(s.size() + 1), piece);
          }
          break;
        case 6:  // a dictionary word
          if (!dictionary.empty()) {
            s.insert(Below(s.size() + 1), dictionary[Below(dictionary.size())]);
          }
          break;
        case 7:  // an interesting byte: NUL, 0xff, a UTF-8 lead, a newline
          if (!s.empty()) {
            static constexpr char kBytes[] = {'\0', '\xff', '\xc3', '\xe2',
                                              '\n', ';', '\'', '$'};
            s[Below(s.size())] = kBytes[Below(sizeof(kBytes))];
          }
          break;
        case 8:  // swap two ranges' first bytes
          if (s.size() > 1) std::swap(s[Below(s.size())], s[Below(s.size())]);
          break;
      }
    }
    if (OneIn(200)) s.append(RandomBytes(64 * 1024));  // occasionally huge
    return s;
  }

  std::string RandomBytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng_());
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

// Runs `one` on mutated corpus entries until the budget is spent; returns
// the number of inputs run.
int64_t Fuzz(const char* target, const std::vector<std::string>& corpus,
             const std::vector<std::string>& dictionary,
             const std::function<void(const std::string&)>& one) {
  const uint64_t seed = Seed();
  Mutator m(seed);
  const absl::Time end = absl::Now() + Budget();
  int64_t runs = 0;
  for (const std::string& input : corpus) {
    one(input);
    ++runs;
  }
  while (absl::Now() < end && !::testing::Test::HasFailure()) {
    for (int i = 0; i < 64; ++i) {
      one(m.Mutate(corpus[m.Below(corpus.size())], dictionary));
      ++runs;
    }
  }
  std::printf("fuzz %s: %lld inputs, seed %llu (DEFIFUNDR_FUZZ_SEED)\n", target,
              static_cast<long long>(runs),
              static_cast<unsigned long long>(seed));
  return runs;
}

// An INVALID_ARGUMENT whose message is short: no input is echoed whole.
void ExpectRefusedBriefly(const absl::Status& s, absl::string_view prefix,
                          const std::string& input) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
      << s << " for " << absl::CEscape(input.substr(0, 200));
  EXPECT_TRUE(absl::StartsWith(s.message(), prefix)) << s;
  EXPECT_LT(s.message().size(), 512u) << s.message().substr(0, 600);
}

TEST(FuzzTest, PageTokenDecoder) {
  server::SetPageTokenKey("fuzz page token key");
  data::v1::ListUsersRequest request;
  request.set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
  std::vector<std::string> corpus;
  std::vector<server::Cursor> cursors;
  for (int i = 0; i < 8; ++i) {
    server::Cursor c{absl::FromUnixSeconds(1700000000 + i * 86400) +
                         absl::Nanoseconds(i * 1000),
                     absl::StrCat("8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3", i)};
    corpus.push_back(server::EncodePageToken(request, c));
    cursors.push_back(c);
  }
  const int64_t runs = Fuzz(
      "page token", corpus, {"-", "_", "=", "AAAA", "////", "%%"},
      [&](const std::string& token) {
        auto got = server::DecodePageToken(request, token);
        if (!got.ok()) {
          return ExpectRefusedBriefly(got.status(), "page_token: ", token);
        }
        // Accepted only as the first page (no token) or as one of the
        // tokens the server issued.
        if (token.empty()) {
          EXPECT_FALSE(got->has_value());
          return;
        }
        ASSERT_TRUE(got->has_value()) << absl::CEscape(token);
        bool issued = false;
        for (const server::Cursor& c : cursors) {
          issued |= c.time == (*got)->time && c.id == (*got)->id;
        }
        EXPECT_TRUE(issued) << "forged token accepted: " << absl::CEscape(token);
      });
  EXPECT_GT(runs, 1000);
}

TEST(FuzzTest, MigrationFileParser) {
  std::vector<std::string> corpus;
  for (const db::EmbeddedFile& f : db::migrate::BuiltinMigrationFiles()) {
    corpus.emplace_back(f.contents);
  }
  ASSERT_FALSE(corpus.empty());
  const std::vector<std::string> dictionary = {
      "-- +goose Up\n", "-- +goose Down\n", "-- +goose StatementBegin\n",
      "-- +goose StatementEnd\n", "-- +goose NO TRANSACTION\n",
      "-- +goose ENVSUB ON\n", "-- +goose Bogus\n", ";\n", "$$", "$body$",
      "'", "\"", "/*", "*/", "--", "E'\\'", "\n\n", "BEGIN;\n", "COMMIT;\n",
      "CREATE INDEX CONCURRENTLY i ON t (c);\n"};
  const int64_t runs =
      Fuzz("migration parser", corpus, dictionary, [&](const std::string& text) {
        auto m = db::migrate::ParseMigration("00001_fuzz.sql", text);
        if (!m.ok()) return ExpectRefusedBriefly(m.status(), "00001_fuzz.sql", text);
        EXPECT_EQ(m->version, 1);
      });
  EXPECT_GT(runs, 1000);
}

// Every request type the services take.
std::vector<const Descriptor*> RequestTypes() {
  std::vector<const Descriptor*> out;
  // Each file's message type links its file (and so its service) in.
  for (const Descriptor* resource :
       {data::v1::User::descriptor(), data::v1::Session::descriptor(),
        data::v1::Kyc::descriptor(), data::v1::UserDevice::descriptor(),
        data::v1::Otp::descriptor(), data::v1::Transaction::descriptor()}) {
    const auto* s = resource->file()->service(0);
    for (int i = 0; i < s->method_count(); ++i) {
      out.push_back(s->method(i)->input_type());
    }
  }
  return out;
}

// A request with every scalar field of it and its messages set to a
// plausible value.
void Fill(Message* m, int depth = 0) {
  const Descriptor* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        r->AddString(m, f, "first_name");
      }
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f,
                     absl::StrContains(f->name(), "id")
                         ? "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c"
                         : absl::StrCat(f->name(), "-value"));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r->SetEnumValue(m, f, f->enum_type()->value_count() - 1);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        r->SetInt32(m, f, 20);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r->SetInt64(m, f, 12345);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r->SetBool(m, f, true);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r->SetDouble(m, f, 1.5);
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth < 2) Fill(r->MutableMessage(m, f), depth + 1);
        break;
      default:
        break;
    }
  }
}

TEST(FuzzTest, RequestCodec) {
  // Quiet: protobuf logs every invalid UTF-8 string it refuses to parse.
  google::protobuf::LogSilencer silence;
  const std::vector<const Descriptor*> types = RequestTypes();
  ASSERT_GT(types.size(), 60u);
  auto& factory = *google::protobuf::MessageFactory::generated_factory();
  std::vector<std::string> corpus;
  for (const Descriptor* d : types) {
    std::unique_ptr<Message> m(factory.GetPrototype(d)->New());
    Fill(m.get());
    corpus.push_back(m->SerializeAsString());
  }
  // Statements whose every parameter a request names (or the server adds).
  const auto& catalog = db::QueryCatalog::Builtin();
  int64_t parsed = 0, bound = 0;
  const int64_t runs = Fuzz(
      "request codec", corpus, {"\x0a\x02", "\x12\x00", "\x1a\xff\xff\x03",
                                "\x08\x80\x80\x80\x80\x10", "\xc3\x28"},
      [&](const std::string& bytes) {
        for (const Descriptor* d : types) {
          std::unique_ptr<Message> m(factory.GetPrototype(d)->New());
          if (!m->ParseFromString(bytes)) continue;
          ++parsed;
          // Validation refuses with INVALID_ARGUMENT or accepts.
          absl::Status checked = server::Table::CheckFields(*m, {"id"});
          if (!checked.ok()) {
            ExpectRefusedBriefly(checked, "", bytes);
            continue;
          }
          // Binding: every statement named like this request's method.
          std::string method(d->name());
          method.resize(method.size() - std::string("Request").size());
          const db::Statement* st = catalog.Find(method);
          if (st == nullptr) continue;
          std::vector<Oid> types_of(st->params.size(), 25 /* text */);
          for (size_t i = 0; i < st->params.size(); ++i) {
            if (st->params[i] == "id" || absl::EndsWith(st->params[i], "_id")) {
              types_of[i] = 2950;  // uuid
            }
          }
          server::ExtraParams extras = {{"cursor_time", "2024-01-01T00:00:00Z"},
                                        {"cursor_id", std::string(36, '0')},
                                        {"page_limit", "51"}};
          // The resource message, if any, comes first (as the handlers do).
          std::vector<server::ParamSource> sources;
          for (int i = 0; i < d->field_count(); ++i) {
            const FieldDescriptor* f = d->field(i);
            if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                !f->is_repeated() && f->message_type()->full_name().rfind(
                                         "defifundr.", 0) == 0) {
              sources.push_back({"", &m->GetReflection()->GetMessage(*m, f)});
            }
          }
          sources.push_back({"", m.get()});
          auto params = server::BindParams(*st, types_of, sources, extras);
          if (!params.ok()) {
            // A parameter this request cannot fill is the handler's to add.
            if (params.status().code() == absl::StatusCode::kInternal) continue;
            ExpectRefusedBriefly(params.status(), "", bytes);
            continue;
          }
          ++bound;
          for (const db::pg::Param& p : *params) {
            if (p.has_value()) {
              EXPECT_EQ(p->find('\0'), std::string::npos)
                  << st->name << ": a NUL reached a parameter";
            }
          }
        }
      });
  std::printf("request codec: %lld parsed as some request, %lld bound\n",
              static_cast<long long>(parsed), static_cast<long long>(bound));
  EXPECT_GT(runs, 1000);
  EXPECT_GT(bound, 0);
}

}  // namespace
}  // namespace defifundr
