#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tl {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Waking a sleeping thread through the kernel costs ~20 us here, as much as a 256^3
// matmul's packing. The gap between two ops of a training step (JS work in between) is
// usually a few microseconds, so both sides spin on an atomic for up to 50 us before
// they sleep: a job then starts in ~0.6 us. Spinning only pays when every thread has a
// core of its own, and a longer spin would take more CPU from other processes.
constexpr auto kSpin = std::chrono::microseconds(50);

// Where threads run. After an idle spell the kernel often wakes a worker on the caller's
// CPU and leaves both there while the other CPU idles: 2-thread products then ran below
// 1-thread speed, with one CPU's worth of time between them, for as long as tens of
// milliseconds (256^3: 55 instead of 130 GFLOP/s). So worker i is pinned to the i-th CPU
// this process may use, and a caller that finds itself on one of the job's worker CPUs
// steps off it (a brief affinity change moves it at once; its own affinity is then
// restored, so the calling thread, often a JS main thread, is never pinned). Skipped
// when the pool has more threads than CPUs, or with TRUNKLINE_PIN_THREADS=0.
class Placement {
 public:
  void plan(int threads) {
    worker_cpu_.assign(threads, -1);
#if defined(__linux__)
    const char* env = std::getenv("TRUNKLINE_PIN_THREADS");
    if (env && env[0] == '0') return;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
    if (threads > static_cast<int>(cpus.size())) return;
    for (int i = 1; i < threads; ++i) worker_cpu_[i] = cpus[i];
#endif
  }

  // Called by worker `index` when it starts.
  void pin(int index) const {
#if defined(__linux__)
    if (index >= static_cast<int>(worker_cpu_.size()) || worker_cpu_[index] < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(worker_cpu_[index], &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
#else
    (void)index;
#endif
  }

  // Called by the caller of a job for workers 1..nt-1.
  void step_off(int nt) const {
#if defined(__linux__)
    if (nt < 2 || worker_cpu_.size() < 2 || worker_cpu_[1] < 0) return;
    const int here = sched_getcpu();
    bool taken = false;
    for (int i = 1; i < nt; ++i) taken |= worker_cpu_[i] == here;
    if (!taken) return;
    cpu_set_t mine, elsewhere;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0) return;
    elsewhere = mine;
    for (int i = 1; i < nt; ++i) CPU_CLR(worker_cpu_[i], &elsewhere);
    if (CPU_COUNT(&elsewhere) == 0) return;
    sched_setaffinity(0, sizeof elsewhere, &elsewhere);  // moves this thread now
    sched_setaffinity(0, sizeof mine, &mine);
#else
    (void)nt;
#endif
  }

 private:
  std::vector<int> worker_cpu_;  // -1: not pinned
};

template <class Ready>
bool spin_until(Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
  }
}

int default_threads() {
  if (const char* env = std::getenv("TRUNKLINE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Workers sleep on a condition variable between jobs. A job is a function run once per
// participating thread; the caller is thread 0 and waits for the others to finish.
class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return size_; }

  void resize(int n) {
    n = std::max(1, n);
    if (n == size_) return;
    stop();
    size_ = n;
    quit_ = false;
    unsigned cores = std::thread::hardware_concurrency();
    spin_ = cores == 0 || static_cast<unsigned>(n) <= cores;
    placement_.plan(n);
    // New workers start at the current generation: jobs that ran before a resize are
    // not theirs (starting from 0 made them run a stale, null job and crash).
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, start = generation_.load()] { work(i, start); });
  }

  // The job's nt parts are claimed, not assigned: the caller and the woken workers each
  // take the next unclaimed part until none is left, and the caller waits only for parts
  // already under way. On a machine shared with other processes a worker may not get a
  // core for milliseconds; a part it has not started is then run by the caller instead
  // of waited for. Which thread runs a part is thus not fixed (kernels index their work
  // by the part number t, never by the thread).
  void run(int nt, const std::function<void(int, int)>& fn) {
    nt = std::max(1, std::min(nt, size_));
    if (nt == 1 || in_job_) {  // nested calls run inline rather than deadlock
      for (int t = 0; t < nt; ++t) fn(t, nt);
      return;
    }
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    placement_.step_off(nt);
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      job_ = &fn;
      job_threads_ = nt;
      finished_.store(0, std::memory_order_relaxed);
      gen = generation_.load() + 1;
      claim_.store(gen << 32, std::memory_order_relaxed);
      generation_.store(gen, std::memory_order_release);
    }
    cv_.notify_all();
    in_job_ = true;
    int ran = run_parts(gen, nt, fn);
    in_job_ = false;
    auto done = [this, nt] { return finished_.load(std::memory_order_acquire) == nt; };
    if (finished_.fetch_add(ran, std::memory_order_acq_rel) + ran != nt && !(spin_ && spin_until(done))) {
      std::unique_lock<std::mutex> lk(mutex_);
      done_cv_.wait(lk, done);
    }
    std::lock_guard<std::mutex> lk(mutex_);
    job_ = nullptr;
  }

 private:
  void work(int index, uint64_t seen) {
    placement_.pin(index);
    for (;;) {
      const std::function<void(int, int)>* job;
      int nt;
      auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (spin_) spin_until(changed);
      {
        // The job is read under the lock even after a successful spin, so generation,
        // job and thread count are always one consistent snapshot.
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [&] { return quit_ || changed(); });
        if (quit_) return;
        seen = generation_.load();
        job = job_;
        nt = job_threads_;
      }
      if (index < nt && job) {
        in_job_ = true;
        int ran = run_parts(seen, nt, *job);
        in_job_ = false;
        if (ran && finished_.fetch_add(ran, std::memory_order_acq_rel) + ran == nt) {
          std::lock_guard<std::mutex> lk(mutex_);
          done_cv_.notify_one();
        }
      }
    }
  }

  // Claims and runs parts of job `gen` until none is left; returns how many it ran. The
  // claim word holds the job's generation (high half) and the next part (low half), so
  // a worker waking after its job ended (and a new one began) claims nothing.
  int run_parts(uint64_t gen, int nt, const std::function<void(int, int)>& fn) {
    int ran = 0;
    for (;;) {
      uint64_t c = claim_.load(std::memory_order_acquire);
      int part;
      do {
        part = static_cast<int>(c & 0xffffffffu);
        if ((c >> 32) != (gen & 0xffffffffu) || part >= nt) return ran;
      } while (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel));
      fn(part, nt);
      ++ran;
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int size_ = 0;
  Placement placement_;
  bool quit_ = false;
  bool spin_ = false;
  std::vector<std::thread> workers_;
  std::mutex job_mutex_, mutex_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0;
  std::atomic<int> finished_{0};       // parts of the current job done
  std::atomic<uint64_t> claim_{0};      // (generation << 32) | next unclaimed part
  std::atomic<uint64_t> generation_{0};
  static thread_local bool in_job_;
};

thread_local bool Pool::in_job_ = false;

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_run(int nt, const std::function<void(int, int)>& fn) { pool().run(nt, fn); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  int64_t max_chunks = (n + grain - 1) / grain;
  int nt = static_cast<int>(std::min<int64_t>(num_threads(), max_chunks));
  if (nt <= 1) {
    fn(0, n);
    return;
  }
  pool().run(nt, [&](int t, int total) {
    int64_t begin = n * t / total, end = n * (t + 1) / total;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace tl
