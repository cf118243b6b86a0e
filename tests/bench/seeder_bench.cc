// The seeder's throughput: each run loads a profile into a fresh migrated
// database (created on DEFIFUNDR_TEST_DATABASE_URL's server, dropped after)
// and reports rows, rows per second of wall time (generation, COPY, index
// rebuild and commit), and the seconds taken.
//
//   export DEFIFUNDR_TEST_DATABASE_URL=$(scripts/pg.sh url postgres)
//   build/tests/bench/seeder_bench [--benchmark_filter=Large]
#include <cstdlib>
#include <iostream>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "db/seed/seeder.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

void BM_Seed(benchmark::State& state, db::seed::SeedSize size) {
  int64_t rows = 0;
  double seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto db = testing::TestDatabase::Create(/*migrated=*/true);
    if (!db.ok()) {
      state.SkipWithError(std::string(db.status().message()).c_str());
      return;
    }
    auto conn = (*db)->Connect();
    state.ResumeTiming();
    db::seed::SeedOptions options;
    options.size = size;
    auto counts = db::seed::Seed(*conn, options, nullptr);
    state.PauseTiming();
    if (!counts.ok()) {
      state.SkipWithError(std::string(counts.status().message()).c_str());
      return;
    }
    rows += counts->total();
    seconds += absl::ToDoubleSeconds(counts->elapsed);
    conn.reset();
    db->reset();  // Drops the database outside the timing.
    state.ResumeTiming();
  }
  state.counters["rows"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kAvgIterations);
  state.counters["rows_per_second"] =
      benchmark::Counter(seconds > 0 ? rows / seconds : 0);
}

BENCHMARK_CAPTURE(BM_Seed, Small, db::seed::SeedSize::kSmall)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Seed, Medium, db::seed::SeedSize::kMedium)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Seed, Large, db::seed::SeedSize::kLarge)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace defifundr

int main(int argc, char** argv) {
  const char* url = std::getenv("DEFIFUNDR_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    std::cerr << "seeder_bench: set DEFIFUNDR_TEST_DATABASE_URL to a server "
                 "where it may create databases, e.g.\n"
                 "  DEFIFUNDR_TEST_DATABASE_URL=$(scripts/pg.sh url postgres) "
              << argv[0] << "\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
