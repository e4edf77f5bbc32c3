#include "serving.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace npu {

namespace {

/// A number of a distribution's text; throws std::invalid_argument.
double dist_number(const std::string& text, const std::string& part) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(part, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != part.size() || !std::isfinite(v) || v < 0 || v > 1e9)
    throw std::invalid_argument("'" + text + "': '" + part +
                                "' is not a number from 0 to 1000000000");
  return v;
}

/// A uniform draw in [0, 1) from 53 bits of the generator.
double unit(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1p-53;
}

uint64_t draw(const TokenDist& d, std::mt19937_64& g, uint64_t max_tokens) {
  double v = d.a;
  switch (d.kind) {
    case TokenDist::Kind::kFixed:
      break;
    case TokenDist::Kind::kUniform:
      v = d.a + std::floor(unit(g) * (d.b - d.a + 1));
      break;
    case TokenDist::Kind::kNormal: {  // Box-Muller, the cosine branch
      const double u1 = unit(g), u2 = unit(g);
      v = std::round(d.a + d.b * std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * M_PI * u2));
      break;
    }
    case TokenDist::Kind::kExponential:
      v = std::ceil(-d.a * std::log(1 - unit(g)));
      break;
  }
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::max(v, 1.0)), 1, max_tokens);
}

}  // namespace

TokenDist parse_token_dist(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  TokenDist d;
  const std::string& kind = parts[0];
  const auto want = [&](size_t numbers, const char* form) {
    if (parts.size() != numbers + 1)
      throw std::invalid_argument("'" + text + "': " + kind + " takes the form " + form);
  };
  if (parts.size() == 1) {
    d.a = dist_number(text, parts[0]);
  } else if (kind == "fixed") {
    want(1, "fixed:N");
    d.a = dist_number(text, parts[1]);
  } else if (kind == "uniform") {
    want(2, "uniform:LO:HI");
    d.kind = TokenDist::Kind::kUniform;
    d.a = dist_number(text, parts[1]);
    d.b = dist_number(text, parts[2]);
    if (d.a > d.b) throw std::invalid_argument("'" + text + "': LO is above HI");
  } else if (kind == "normal") {
    want(2, "normal:MEAN:SD");
    d.kind = TokenDist::Kind::kNormal;
    d.a = dist_number(text, parts[1]);
    d.b = dist_number(text, parts[2]);
  } else if (kind == "exponential") {
    want(1, "exponential:MEAN");
    d.kind = TokenDist::Kind::kExponential;
    d.a = dist_number(text, parts[1]);
  } else {
    throw std::invalid_argument("'" + text +
                                "' is not N, fixed:N, uniform:LO:HI, normal:MEAN:SD or "
                                "exponential:MEAN");
  }
  if ((d.kind == TokenDist::Kind::kFixed || d.kind == TokenDist::Kind::kUniform) &&
      (d.a != std::floor(d.a) || d.b != std::floor(d.b)))
    throw std::invalid_argument("'" + text + "': token counts are whole numbers");
  if (d.kind != TokenDist::Kind::kNormal && d.a < 1)
    throw std::invalid_argument("'" + text + "': a request has at least 1 token");
  return d;
}

std::vector<Request> generate_requests(double rate, uint64_t count, const TokenDist& prompt,
                                       const TokenDist& output, uint64_t seed,
                                       uint64_t max_tokens) {
  std::mt19937_64 g(seed);
  std::vector<Request> out;
  out.reserve(count);
  double t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    t += -std::log(1 - unit(g)) / rate;
    Request r;
    r.arrival_s = t;
    r.prompt = draw(prompt, g, max_tokens);
    r.output = draw(output, g, max_tokens);
    out.push_back(r);
  }
  return out;
}

ServeScheduler::ServeScheduler(std::vector<Request> requests, const ServeLimits& limits)
    : m_requests(std::move(requests)), m_limits(limits), m_states(m_requests.size()) {
  std::stable_sort(m_requests.begin(), m_requests.end(),
                   [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
}

uint64_t kv_blocks_needed(const Request& r, const ServeLimits& limits) {
  return (r.prompt + r.output - 1 + limits.kv_block - 1) / limits.kv_block;
}

uint64_t ServeScheduler::blocks_for(uint64_t positions) const {
  return (positions + m_limits.kv_block - 1) / m_limits.kv_block;
}

uint64_t ServeScheduler::need(size_t r) const {
  return m_requests[r].prompt + m_states[r].generated - m_states[r].computed;
}

bool ServeScheduler::grow(size_t r, uint64_t positions) {
  RequestState& s = m_states[r];
  const uint64_t want = std::max(s.blocks, blocks_for(positions));
  if (m_limits.kv_blocks > 0 && m_used + (want - s.blocks) > m_limits.kv_blocks) return false;
  m_used += want - s.blocks;
  s.blocks = want;
  return true;
}

void ServeScheduler::preempt(size_t r) {
  RequestState& s = m_states[r];
  m_used -= s.blocks;
  s.blocks = 0;
  s.computed = 0;  // recomputed when it runs again: its prompt and the tokens it has emitted
  ++s.preemptions;
  ++m_preemptions;
  s.phase = RequestState::Phase::kWaiting;
  m_running.erase(std::find(m_running.begin(), m_running.end(), r));
  m_waiting.push_front(r);
}

const std::vector<Scheduled>& ServeScheduler::schedule(double now_s) {
  m_step.clear();
  while (m_next < m_requests.size() && m_requests[m_next].arrival_s <= now_s) {
    m_states[m_next].phase = RequestState::Phase::kWaiting;
    m_waiting.push_back(m_next++);
  }
  uint64_t budget = m_limits.step_tokens;
  const auto add = [&](size_t r, uint64_t n) {
    const RequestState& s = m_states[r];
    const uint64_t after = s.computed + n;
    m_step.push_back({r, SeqPass{n, after, after == m_requests[r].prompt + s.generated},
                      s.generated >= 1 && need(r) == 1});
    budget -= n;
  };
  // The running requests first, in order of admission; a request that needs a block when none
  // is free preempts the one admitted last (itself, if it is the last).
  bool preempted = false;
  for (size_t i = 0; i < m_running.size() && budget > 0;) {
    const size_t r = m_running[i];
    const uint64_t n = std::min(need(r), budget);
    bool runs = true;
    while (!grow(r, m_states[r].computed + n)) {
      const size_t victim = m_running.back();
      preempt(victim);
      preempted = true;
      if (victim == r) {
        runs = false;
        break;
      }
    }
    if (!runs) break;
    add(r, n);
    ++i;
  }
  // Then the waiting ones, in order, while the batch, the budget and the cache allow (none in a
  // step that had to preempt, as vLLM).
  while (!preempted && !m_waiting.empty() && m_running.size() < m_limits.max_batch && budget > 0) {
    const size_t r = m_waiting.front();
    const uint64_t n = std::min(need(r), budget);
    if (!grow(r, n)) break;
    m_waiting.pop_front();
    m_states[r].phase = RequestState::Phase::kRunning;
    m_running.push_back(r);
    add(r, n);
  }
  return m_step;
}

double ServeScheduler::next_arrival_s(double now_s) const {
  for (size_t i = m_next; i < m_requests.size(); ++i)
    if (m_requests[i].arrival_s > now_s) return m_requests[i].arrival_s;
  return -1;
}

void ServeScheduler::finish_step(double end_s, double energy_pj) {
  uint64_t tokens = 0;
  for (const Scheduled& s : m_step) tokens += s.pass.q;
  for (const Scheduled& s : m_step) {
    RequestState& st = m_states[s.request];
    st.energy_pj += energy_pj * static_cast<double>(s.pass.q) / static_cast<double>(tokens);
    st.computed = s.pass.kv_len;
    if (!s.pass.logits) continue;
    ++st.generated;
    if (st.first_token_s < 0) st.first_token_s = end_s;
    if (st.generated < m_requests[s.request].output) continue;
    st.finish_s = end_s;
    st.phase = RequestState::Phase::kDone;
    m_used -= st.blocks;
    st.blocks = 0;
    m_running.erase(std::find(m_running.begin(), m_running.end(), s.request));
    ++m_done;
  }
  m_step.clear();
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace npu
