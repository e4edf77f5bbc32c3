// Continuous batching (`npusim serve`): requests arrive over simulated time and are scheduled an
// iteration at a time, as vLLM's scheduler does (vllm/v1/core/sched/scheduler.py): each
// iteration (a graph call of the model, one "step") takes every running request's next tokens
// (one while decoding, a chunk of its prompt while prefilling) and then admits waiting requests
// in arrival order, within a token budget per step and a batch limit; prompts are chunked to fit
// the budget, so prefill chunks run in the same step as other requests' decode tokens. The KV
// cache is a pool of blocks (pages of `kv_block` positions): a request holds the blocks its
// cached positions need; when a running request needs a block and none is free, the request
// admitted last is preempted (its blocks freed, back to the head of the queue, its positions
// recomputed when it runs again: vLLM's recompute preemption).
//
// This file is the scheduler's logic alone, in seconds of simulated time: the simulator
// (sim/serve.h) asks it for each step's sequences, simulates the step's ops and tells it when
// the step ended.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "transformer.h"

namespace npu {

/// Requests a serve run takes at most (a file or a generated load).
inline constexpr uint64_t kMaxServeRequests = 1'000'000;

struct Request {
  double arrival_s = 0;  ///< when it arrives, seconds from the start
  uint64_t prompt = 1;   ///< prompt tokens
  uint64_t output = 1;   ///< tokens it generates (the first at its prompt's end), >= 1
  int line = 0;          ///< the request file's line (0: generated)
};

/// A seeded load generator's distribution of token counts: `fixed:N` (or `N`), `uniform:LO:HI`
/// (inclusive), `normal:MEAN:SD` (rounded, kept to 1 and above) or `exponential:MEAN` (rounded
/// up, so at least 1).
struct TokenDist {
  enum class Kind : uint8_t { kFixed, kUniform, kNormal, kExponential } kind = Kind::kFixed;
  double a = 1, b = 0;
};
/// Parses a distribution; throws std::invalid_argument saying what is wrong.
TokenDist parse_token_dist(const std::string& text);

/// `count` requests arriving as a Poisson process of `rate` per second (exponential gaps; the
/// first at its gap after 0), token counts drawn from the distributions, each clamped to
/// [1, max_tokens]. Reproducible: the same arguments give the same requests on every platform
/// (std::mt19937_64, whose sequence the C++ standard fixes, and our own transforms of it).
std::vector<Request> generate_requests(double rate, uint64_t count, const TokenDist& prompt,
                                       const TokenDist& output, uint64_t seed, uint64_t max_tokens);

struct ServeLimits {
  uint64_t max_batch = 256;     ///< requests running at once (vLLM's max_num_seqs)
  uint64_t step_tokens = 2048;  ///< tokens per step (vLLM's max_num_batched_tokens)
  uint64_t kv_block = 16;       ///< positions per KV block (vLLM's block_size)
  uint64_t kv_blocks = 0;       ///< blocks the KV cache holds; 0: unlimited
};

/// Where a request is and what it has done.
struct RequestState {
  enum class Phase : uint8_t { kPending, kWaiting, kRunning, kDone } phase = Phase::kPending;
  uint64_t computed = 0;   ///< positions in its KV cache
  uint64_t generated = 0;  ///< tokens emitted
  uint64_t blocks = 0;     ///< KV blocks it holds
  uint64_t preemptions = 0;
  double first_token_s = -1, finish_s = -1;
  double energy_pj = 0;  ///< its share of the energy of the steps it ran in (by tokens)
};

/// One request's part of a step.
struct Scheduled {
  size_t request;  ///< index into the requests
  SeqPass pass;
  bool decode;  ///< the request decodes (its one unknown position is its last token)
};

/// KV blocks request `r` holds at its largest (prompt + output - 1 positions cached).
uint64_t kv_blocks_needed(const Request& r, const ServeLimits& limits);

class ServeScheduler {
 public:
  /// `requests` in order of arrival (ties: as given). Each must fit the cache alone: check with
  /// kv_blocks_needed() first.
  ServeScheduler(std::vector<Request> requests, const ServeLimits& limits);

  bool done() const { return m_done == m_requests.size(); }
  /// The next step if it starts at `now_s`: the sequences it runs (empty when nothing has
  /// arrived that can run: then wait for next_arrival_s()). Preempts as it needs blocks.
  const std::vector<Scheduled>& schedule(double now_s);
  /// The arrival of the first request not yet arrived (after `now_s`), or -1.
  double next_arrival_s(double now_s) const;
  /// The step scheduled last ended at `end_s` and took `energy_pj`: positions cached, tokens
  /// emitted, finished requests' blocks freed.
  void finish_step(double end_s, double energy_pj);

  const std::vector<Request>& requests() const { return m_requests; }
  const std::vector<RequestState>& states() const { return m_states; }
  uint64_t running() const { return m_running.size(); }
  uint64_t waiting() const { return m_waiting.size(); }
  uint64_t blocks_used() const { return m_used; }
  uint64_t preemptions() const { return m_preemptions; }

 private:
  /// Positions request r must compute before it emits its next token.
  uint64_t need(size_t r) const;
  uint64_t blocks_for(uint64_t positions) const;
  /// Takes the blocks for request r to hold `positions`; false if they are not free.
  bool grow(size_t r, uint64_t positions);
  void preempt(size_t r);

  std::vector<Request> m_requests;
  ServeLimits m_limits;
  std::vector<RequestState> m_states;
  size_t m_next = 0;              ///< first request not yet arrived
  std::deque<size_t> m_waiting;   ///< arrived, not running: preempted ones at the head
  std::vector<size_t> m_running;  ///< in order of admission
  std::vector<Scheduled> m_step;
  uint64_t m_used = 0, m_done = 0, m_preemptions = 0;
};

/// The nearest-rank percentile (p in (0, 100]) of `v`: the smallest value with at least p % of
/// the values at or below it. 0 for no values. Sorts `v`.
double percentile(std::vector<double>& v, double p);

}  // namespace npu
