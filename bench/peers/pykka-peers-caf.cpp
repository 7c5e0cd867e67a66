// SPDX-License-Identifier: LGPL-2.1-or-later
//
// pykka-peers-caf: the workloads of pykka-bench on the C++ Actor Framework
// (CAF 0.17, Debian's libcaf-dev), written for the benchmark suite of
// pykka-glib (see docs/performance.md), with the same sizes and units, so
// that bench/compare.sh can print them side by side.
//
//   pykka-peers-caf [--tiny] [--repeat R] [--json FILE] [WORKLOAD[=N]...]
//
// Workloads, as in pykka-bench:
//   pingpong    two event-based actors bounce a counter (ns/hop)
//   threadring  100 event-based actors pass a token (hops/s)
//   counting    the main thread sends N messages to one actor, then asks
//               for the count (msgs/s)
//   ask-thread  the main thread (a scoped_actor) does N blocking requests
//               to an echo actor (us/ask); ask-thread-cpu: the process CPU
//               time per request (us-cpu/ask)
//   spawn       spawn N actors, one message each, stop all, each stop
//               acknowledged (us/actor); spawn-memory: resident memory per
//               live actor (VmRSS delta / N), measured first, while the
//               process is fresh (bytes/actor)
//
// The actor system runs with its defaults (the work-stealing scheduler),
// except for the number of workers: one per core, as many as Erlang's
// schedulers (CAF's default is at least 4, which on 2 cores makes its idle
// workers' polling take the CPU from the busy ones).

#include <caf/all.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

namespace {

using peer_atom = atom_constant<atom("peer")>;
using count_atom = atom_constant<atom("count")>;
using stop_atom = atom_constant<atom("stop")>;
using stopped_atom = atom_constant<atom("stopped")>;
using done_atom = atom_constant<atom("done")>;

// ---- measuring -------------------------------------------------------------

int64_t
now_ns ()
{
  return std::chrono::duration_cast<std::chrono::nanoseconds> (
           std::chrono::steady_clock::now ().time_since_epoch ()).count ();
}

int64_t
cpu_ns ()
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (int64_t (ru.ru_utime.tv_sec) + ru.ru_stime.tv_sec) * 1000000000 +
         (int64_t (ru.ru_utime.tv_usec) + ru.ru_stime.tv_usec) * 1000;
}

int64_t
rss_bytes ()
{
  std::ifstream status ("/proc/self/status");
  std::string line;

  while (std::getline (status, line))
    if (line.compare (0, 6, "VmRSS:") == 0)
      return std::atoll (line.c_str () + 6) * 1024;
  return 0;
}

double
median (std::vector<double> v)
{
  std::sort (v.begin (), v.end ());
  size_t n = v.size ();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Record
{
  std::string workload, system;
  int64_t n;
  double value;
  std::string unit, note;
};

std::vector<Record> records;
unsigned repeat = 3;

void
add_record (const std::string &workload, const std::string &system, int64_t n,
            double value, const std::string &unit, const std::string &note)
{
  records.push_back ({workload, system, n, value, unit, note});
  std::fprintf (stderr, "  %-22s %-12s n=%-9lld %12.3f %s\n", workload.c_str (),
                system.c_str (), (long long) n, value, unit.c_str ());
}

double
repeated (const std::function<double ()> &f)
{
  std::vector<double> v;

  for (unsigned i = 0; i < repeat; i++)
    v.push_back (f ());
  return median (v);
}

// ---- pingpong and threadring -------------------------------------------------

behavior
bouncer (event_based_actor *self, actor parent)
{
  auto peer = std::make_shared<actor> ();

  return {
    [=] (peer_atom, const actor &p) {
      *peer = p;
      return peer_atom::value;
    },
    [=] (int n) {
      if (n == 0)
        self->send (parent, done_atom::value);
      else
        self->send (*peer, n - 1);
    },
  };
}

// Passes a counter @hops times around a ring of @n_actors: ns per hop.
double
ring (actor_system &sys, int n_actors, int hops)
{
  scoped_actor self{sys};
  std::vector<actor> ring;

  for (int i = 0; i < n_actors; i++)
    ring.push_back (sys.spawn (bouncer, actor{self}));
  for (int i = 0; i < n_actors; i++)
    self->request (ring[i], infinite, peer_atom::value, ring[(i + 1) % n_actors])
      .receive ([] (peer_atom) {}, [] (error &) { std::abort (); });

  int64_t start = now_ns ();
  self->send (ring[0], hops);
  self->receive ([] (done_atom) {});
  int64_t end = now_ns ();

  for (auto &a : ring)
    self->send_exit (a, exit_reason::user_shutdown);
  return double (end - start) / (hops + 1);
}

// ---- counting ------------------------------------------------------------------

behavior
counter (event_based_actor *)
{
  auto count = std::make_shared<int64_t> (0);

  return {
    [=] (int) { ++*count; },
    [=] (count_atom) { return *count; },
  };
}

// The main thread sends @n messages to an actor, then asks the count.
double
counting (actor_system &sys, int n)
{
  scoped_actor self{sys};
  auto c = sys.spawn (counter);
  int64_t count = -1;

  self->request (c, infinite, count_atom::value)
    .receive ([] (int64_t) {}, [] (error &) { std::abort (); });
  int64_t start = now_ns ();
  for (int i = 0; i < n; i++)
    self->send (c, 1);
  self->request (c, infinite, count_atom::value)
    .receive ([&] (int64_t x) { count = x; }, [] (error &) { std::abort (); });
  int64_t end = now_ns ();
  if (count != n)
    {
      std::fprintf (stderr, "counting: counted %lld of %d\n", (long long) count, n);
      std::exit (1);
    }
  self->send_exit (c, exit_reason::user_shutdown);
  return n / (double (end - start) / 1e9);
}

// ---- ask-thread ------------------------------------------------------------------

behavior
echo (event_based_actor *)
{
  return {
    [] (int x) { return x; },
  };
}

// @n blocking requests from the main thread: us per ask, CPU us per ask.
double
ask_thread (actor_system &sys, int n, double *cpu_us)
{
  scoped_actor self{sys};
  auto e = sys.spawn (echo);
  auto ask = [&] {
    self->request (e, infinite, 7)
      .receive ([] (int x) { if (x != 7) std::abort (); },
                [] (error &) { std::abort (); });
  };

  for (int i = 0; i < 100; i++)
    ask ();
  int64_t cpu_start = cpu_ns ();
  int64_t start = now_ns ();
  for (int i = 0; i < n; i++)
    ask ();
  int64_t end = now_ns ();
  *cpu_us = double (cpu_ns () - cpu_start) / n / 1000;
  self->send_exit (e, exit_reason::user_shutdown);
  return double (end - start) / n / 1000;
}

// ---- spawn ------------------------------------------------------------------------

std::atomic<int> ready_count;

behavior
sink (event_based_actor *self, actor parent, bool ready)
{
  return {
    [=] (int) {
      if (ready)
        ready_count.fetch_add (1, std::memory_order_relaxed);
    },
    [=] (stop_atom) {
      self->send (parent, stopped_atom::value);
      self->quit ();
    },
  };
}

void
stop_all (scoped_actor &self, const std::vector<actor> &actors)
{
  for (auto &a : actors)
    self->send (a, stop_atom::value);
  int i = 0;
  self->receive_for (i, int (actors.size ())) ([] (stopped_atom) {});
}

// Spawns @k actors, sends each one message, stops all: us per actor.
double
spawn_k (actor_system &sys, int k)
{
  scoped_actor self{sys};
  std::vector<actor> actors;

  actors.reserve (k);
  int64_t start = now_ns ();
  for (int i = 0; i < k; i++)
    {
      actors.push_back (sys.spawn (sink, actor{self}, false));
      self->send (actors.back (), 1);
    }
  stop_all (self, actors);
  int64_t end = now_ns ();
  return double (end - start) / k / 1000;
}

// Resident bytes per live actor that has handled one message.
double
spawn_memory (actor_system &sys, int k)
{
  scoped_actor self{sys};
  std::vector<actor> actors;

  actors.reserve (k);
  ready_count = 0;
  int64_t before = rss_bytes ();
  for (int i = 0; i < k; i++)
    {
      actors.push_back (sys.spawn (sink, actor{self}, true));
      self->send (actors.back (), 1);
    }
  while (ready_count.load () < k)
    std::this_thread::sleep_for (std::chrono::milliseconds (1));
  int64_t after = rss_bytes ();
  stop_all (self, actors);
  return double (after - before) / k;
}

// ---- driver --------------------------------------------------------------------------

struct Workload
{
  const char *name;
  int size, tiny_size;
};

const Workload workloads[] = {
  {"pingpong", 2000000, 2000},
  {"threadring", 2000000, 2000},
  {"counting", 2000000, 2000},
  {"ask-thread", 20000, 100},
  {"spawn", 100000, 200},
};

std::string
json_escape (const std::string &s)
{
  std::string out;

  for (char c : s)
    {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
  return out;
}

void
write_json (const char *path)
{
  std::ostringstream s;

  s.precision (17);
  s << "[\n";
  for (size_t i = 0; i < records.size (); i++)
    {
      const Record &r = records[i];

      s << "  {\"workload\": \"" << r.workload << "\", \"system\": \"" << r.system
        << "\", \"n\": " << r.n << ", \"value\": " << r.value << ", \"unit\": \""
        << r.unit << "\", \"note\": \"" << json_escape (r.note)
        << "\", \"version\": \"CAF " << CAF_MAJOR_VERSION << "." << CAF_MINOR_VERSION
        << "." << CAF_PATCH_VERSION << "\"}" << (i + 1 < records.size () ? "," : "")
        << "\n";
    }
  s << "]\n";
  std::ofstream f (path);
  f << s.str ();
  if (!f)
    {
      std::fprintf (stderr, "pykka-peers-caf: cannot write %s\n", path);
      std::exit (1);
    }
}

void
usage ()
{
  std::fprintf (stderr, "Usage: pykka-peers-caf [--tiny] [--repeat R] [--json FILE] "
                        "[WORKLOAD[=N]...]\nWorkloads:");
  for (auto &w : workloads)
    std::fprintf (stderr, " %s", w.name);
  std::fprintf (stderr, "\n");
}

} // namespace

int
main (int argc, char **argv)
{
  bool tiny = false;
  const char *json = nullptr;
  std::vector<std::pair<std::string, int>> chosen;

  for (int i = 1; i < argc; i++)
    {
      std::string arg = argv[i];

      if (arg == "--tiny")
        tiny = true;
      else if (arg == "--json" && i + 1 < argc)
        json = argv[++i];
      else if (arg == "--repeat" && i + 1 < argc)
        repeat = std::max (1, std::atoi (argv[++i]));
      else
        {
          auto eq = arg.find ('=');
          std::string name = arg.substr (0, eq);
          int size = eq == std::string::npos ? 0 : std::atoi (arg.c_str () + eq + 1);
          bool known = false;

          for (auto &w : workloads)
            known = known || name == w.name;
          if (!known || (eq != std::string::npos && size <= 0))
            {
              usage ();
              return 2;
            }
          chosen.emplace_back (name, size);
        }
    }
  if (tiny && repeat == 3)
    repeat = 1;
  if (chosen.empty ())
    for (auto &w : workloads)
      chosen.emplace_back (w.name, 0);
  for (auto &c : chosen)
    if (c.second == 0)
      for (auto &w : workloads)
        if (c.first == w.name)
          c.second = tiny ? w.tiny_size : w.size;

  actor_system_config cfg;
  cfg.set ("scheduler.max-threads", size_t (std::max (1u, std::thread::hardware_concurrency ())));
  actor_system sys{cfg};
  std::string workers = std::to_string (sys.scheduler ().num_workers ()) + " workers";

  std::fprintf (stderr, "pykka-peers-caf (CAF %d.%d.%d, %s): %u repetitions per figure\n",
                CAF_MAJOR_VERSION, CAF_MINOR_VERSION, CAF_PATCH_VERSION,
                workers.c_str (), repeat);

  // Memory first, while the heap is fresh.
  for (auto &c : chosen)
    if (c.first == "spawn")
      add_record ("spawn-memory", "caf", c.second, spawn_memory (sys, c.second),
                  "bytes/actor", "VmRSS delta / N, first in a fresh process, " + workers);

  for (auto &c : chosen)
    {
      const std::string &w = c.first;
      int n = c.second;

      std::fprintf (stderr, "%s...\n", w.c_str ());
      if (w == "pingpong" || w == "threadring")
        {
          int n_actors = w == "pingpong" ? 2 : 100;
          bool rate = w == "threadring";
          const char *unit = rate ? "hops/s" : "ns/hop";

          double v = repeated ([&] { return ring (sys, n_actors, n); });

          add_record (w, "caf", n, rate ? 1e9 / v : v, unit, workers);
        }
      else if (w == "counting")
        add_record (w, "caf", n, repeated ([&] { return counting (sys, n); }), "msgs/s",
                    "sender: the main thread, " + workers);
      else if (w == "ask-thread")
        {
          std::vector<double> us, cpu;

          for (unsigned i = 0; i < repeat; i++)
            {
              double c;

              us.push_back (ask_thread (sys, n, &c));
              cpu.push_back (c);
            }
          add_record (w, "caf", n, median (us), "us/ask",
                      "caller: a scoped_actor on the main thread, " + workers);
          add_record ("ask-thread-cpu", "caf", n, median (cpu), "us-cpu/ask",
                      "process CPU time, " + workers);
        }
      else if (w == "spawn")
        add_record (w, "caf", n, repeated ([&] { return spawn_k (sys, n); }), "us/actor",
                    workers);
    }

  std::printf ("\n%-22s %-12s %10s %14s %-16s\n", "workload", "system", "n", "value", "unit");
  for (auto &r : records)
    std::printf ("%-22s %-12s %10lld %14.3f %-16s\n", r.workload.c_str (), r.system.c_str (),
                 (long long) r.n, r.value, r.unit.c_str ());
  if (json != nullptr)
    write_json (json);
  return 0;
}
