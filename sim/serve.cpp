#include "serve.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "capacity.h"
#include "config/error.h"
#include "output_set.h"
#include "report.h"
#include "run_limits.h"

namespace npu {

namespace {

using Json = nlohmann::ordered_json;

double seconds_of(const ChipConfig& chip, uint64_t cycles) {
  return static_cast<double>(chip.clock.cycles_to_ps(cycles)) * 1e-12;
}

/// TPOT of a finished request: the time between its tokens after the first; none for one token.
std::optional<double> tpot_of(const Request& q, const RequestState& s) {
  if (q.output < 2 || s.finish_s < 0) return std::nullopt;
  return (s.finish_s - s.first_token_s) / static_cast<double>(q.output - 1);
}

Json stats_json(std::vector<double> v) {
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = v.empty() ? 0 : sum / static_cast<double>(v.size());
  return Json{{"mean", mean},
              {"p50", percentile(v, 50)},
              {"p90", percentile(v, 90)},
              {"p99", percentile(v, 99)}};
}

}  // namespace

uint64_t kv_block_bytes(const ModelConfig& m, const RunSpec& s, uint64_t kv_block) {
  return bytes_of(2 * uint64_t{m.kv_dim()} * m.layers * kv_block, s.kv);
}

std::optional<uint64_t> kv_blocks_from_capacity(const ChipConfig& chip, const ModelConfig& m,
                                                const RunSpec& s, const ServeLimits& limits) {
  const uint64_t capacity = chip.memory.capacity_bytes;
  if (capacity == 0) return std::nullopt;
  RunSpec one = s;  // the weights, and the activations of a step of step_tokens
  one.phase = Phase::kPrefill;
  one.prompt = std::min<uint64_t>(limits.step_tokens, m.max_context);
  one.batch = 1;
  one.context = 0;
  one.kv_block = 0;
  const Footprint f = build_workload(m, one, onchip_score_bytes(chip), true).footprint;
  const uint64_t fixed = f.weight_bytes + f.peak_activation_bytes;
  const uint64_t block = kv_block_bytes(m, s, limits.kv_block);
  if (fixed + block > capacity)
    throw ConfigError("<workload>", 0, 0, "",
                      fmt::format("{} ({} weights) takes {:.3f} GB of weights and {:.3f} GB of "
                                  "activations; {}'s device memory of {:.3f} GB leaves no room for "
                                  "a KV cache block: use smaller weights or a chip with more "
                                  "memory (memory.capacity_gib)",
                                  m.name, format_name(s.weights), f.weight_bytes * 1e-9,
                                  f.peak_activation_bytes * 1e-9, chip.name, capacity * 1e-9));
  return (capacity - fixed) / block;
}

void check_requests(const std::vector<Request>& reqs, const ModelConfig& m,
                    const ServeLimits& limits, const std::string& file) {
  for (const Request& q : reqs) {
    const auto fail = [&](const std::string& message) {
      throw ConfigError(file, q.line, 0, q.line > 0 ? "" : "request", message);
    };
    if (q.prompt + q.output > m.max_context)
      fail(fmt::format("prompt {} + output {} tokens exceed {}'s maximum of {} positions", q.prompt,
                       q.output, m.name, m.max_context));
    if (limits.kv_blocks > 0 && kv_blocks_needed(q, limits) > limits.kv_blocks)
      fail(fmt::format(
          "prompt {} + output {} tokens need {} KV blocks of {} positions; the cache "
          "holds {}",
          q.prompt, q.output, kv_blocks_needed(q, limits), limits.kv_block, limits.kv_blocks));
  }
}

void check_serve_work(const ModelConfig& m, const RunSpec& s, const std::vector<Request>& reqs,
                      const ServeLimits& limits, const std::string& file) {
  uint64_t tokens = 0, outputs = 0, longest = 0;
  for (const Request& q : reqs) {
    tokens += q.prompt + q.output;
    outputs += q.output;
    longest = std::max(longest, q.output);
  }
  const uint64_t steps = std::max({longest, (tokens + limits.step_tokens - 1) / limits.step_tokens,
                                   (outputs + limits.max_batch - 1) / limits.max_batch});
  std::vector<Op> one;
  serve_step_ops(m, s, 0, {SeqPass{1, 1, true}}, 0, one);
  const double work = static_cast<double>(steps) * static_cast<double>(one.size());
  if (work > kMaxRunWork)
    throw ConfigError(file, 0, 0, "",
                      fmt::format("serving these {} requests takes at least {} steps of at least "
                                  "{} ops: {:.3g} ops, more than npusim's limit of {:.3g} (a "
                                  "few minutes of simulation): serve fewer or shorter requests",
                                  reqs.size(), steps, one.size(), work, kMaxRunWork));
}

ServeResult serve(const ChipConfig& chip, const ModelConfig& m, RunSpec s,
                  std::vector<Request> reqs, const ServeLimits& limits, const SimOptions& opts) {
  s.kv_block = limits.kv_block;
  ServeScheduler sched(std::move(reqs), limits);
  ServeResult r;
  r.kv_blocks = limits.kv_blocks;
  r.kv_block_bytes = kv_block_bytes(m, s, limits.kv_block);
  const uint64_t onchip = onchip_score_bytes(chip);
  double now = 0, idle = 0;  // idle: time with nothing to run, which the chip's clock skips
  std::vector<SeqPass> passes;
  const auto source = [&](uint64_t c, std::vector<Op>& out) {
    const std::vector<Scheduled>* step = nullptr;
    for (;;) {
      if (sched.done()) return false;
      step = &sched.schedule(now);
      if (!step->empty()) break;
      const double next = sched.next_arrival_s(now);
      // Not done and nothing can run: something is still to arrive (every request fits the
      // cache alone, so a step with anything running or waiting is never empty).
      if (next < 0) throw std::logic_error("serve: no step can run and no request is to come");
      idle += next - now;
      now = next;
    }
    ServeStep row;
    row.start_s = now;
    row.waiting = sched.waiting();
    row.kv_blocks = sched.blocks_used();
    passes.clear();
    for (const Scheduled& x : *step) {
      passes.push_back(x.pass);
      (x.decode ? row.decode_seqs : row.prefill_seqs) += 1;
      (x.decode ? row.decode_tokens : row.prefill_tokens) += x.pass.q;
    }
    r.steps.push_back(row);
    serve_step_ops(m, s, onchip, passes, static_cast<uint32_t>(c), out);
    return true;
  };
  const auto sink = [&](const RunResult& call, const CompiledGraph* g) {
    ServeStep& row = r.steps.back();
    uint64_t end = 0;
    for (const OpRecord& o : call.ops) {
      row.t.add(o);
      end = std::max(end, o.end_cycle);
    }
    r.totals.add_call(call, g);
    now = idle + seconds_of(chip, end);
    row.end_s = now;
    sched.finish_step(now, row.t.energy_pj);
  };
  r.totals.total_cycles = simulate_online(chip, source, opts, sink);
  r.end_s = now;
  r.requests = sched.requests();
  r.states = sched.states();
  r.preemptions = sched.preemptions();
  return r;
}

namespace {

/// summary.json's `serve` object.
Json serve_json(const ChipConfig& chip, const ModelConfig& m, const ServeResult& r,
                const ServeSettings& settings) {
  std::vector<double> ttft, tpot, e2e;
  uint64_t prompt_tokens = 0, output_tokens = 0, good = 0, peak_blocks = 0, max_seqs = 0;
  double seqs = 0;
  for (size_t i = 0; i < r.requests.size(); ++i) {
    const Request& q = r.requests[i];
    const RequestState& s = r.states[i];
    prompt_tokens += q.prompt;
    output_tokens += q.output;
    const double first = s.first_token_s - q.arrival_s;
    ttft.push_back(first);
    e2e.push_back(s.finish_s - q.arrival_s);
    const std::optional<double> t = tpot_of(q, s);
    if (t) tpot.push_back(*t);
    const bool ttft_ok = settings.slo_ttft_s <= 0 || first <= settings.slo_ttft_s;
    const bool tpot_ok = settings.slo_tpot_s <= 0 || !t || *t <= settings.slo_tpot_s;
    good += ttft_ok && tpot_ok ? 1 : 0;
  }
  for (const ServeStep& st : r.steps) {
    peak_blocks = std::max(peak_blocks, st.kv_blocks);
    const uint64_t n = st.prefill_seqs + st.decode_seqs;
    max_seqs = std::max(max_seqs, n);
    seqs += static_cast<double>(n);
  }
  const double span = r.end_s, n = static_cast<double>(r.requests.size());
  const auto per_s = [&](double x) { return span > 0 ? x / span : 0.0; };
  const double energy_j = r.totals.energy.total() * 1e-12;
  Json serve{
      {"model", m.name},
      {"requests", r.requests.size()},
      {"prompt_tokens", prompt_tokens},
      {"output_tokens", output_tokens},
      {"steps", r.steps.size()},
      {"preemptions", r.preemptions},
      {"makespan_s", span},
      {"busy_s", seconds_of(chip, r.totals.total_cycles)},
      {"throughput", Json{{"requests_per_s", per_s(n)},
                          {"output_tokens_per_s", per_s(static_cast<double>(output_tokens))},
                          {"prompt_tokens_per_s", per_s(static_cast<double>(prompt_tokens))}}},
      {"ttft_s", stats_json(ttft)},
      {"tpot_s", stats_json(tpot)},
      {"e2e_s", stats_json(e2e)},
      {"goodput",
       Json{{"slo_ttft_s", settings.slo_ttft_s > 0 ? Json(settings.slo_ttft_s) : Json(nullptr)},
            {"slo_tpot_s", settings.slo_tpot_s > 0 ? Json(settings.slo_tpot_s) : Json(nullptr)},
            {"requests_meeting_slo", good},
            {"requests_per_s", per_s(static_cast<double>(good))}}},
      {"energy",
       Json{{"j", energy_j},
            {"mj_per_request", n > 0 ? energy_j * 1e3 / n : 0.0},
            {"mj_per_output_token",
             output_tokens > 0 ? energy_j * 1e3 / static_cast<double>(output_tokens) : 0.0}}},
      {"batch",
       Json{{"max_batch", settings.limits.max_batch},
            {"step_tokens", settings.limits.step_tokens},
            {"mean_sequences", r.steps.empty() ? 0.0 : seqs / static_cast<double>(r.steps.size())},
            {"max_sequences", max_seqs}}},
      {"kv_cache", Json{{"block", settings.limits.kv_block},
                        {"blocks", r.kv_blocks > 0 ? Json(r.kv_blocks) : Json(nullptr)},
                        {"block_bytes", r.kv_block_bytes},
                        {"peak_blocks", peak_blocks}}},
  };
  return serve;
}

}  // namespace

std::string serve_summary_json(const ChipConfig& chip, const ModelConfig& m, const ServeResult& r,
                               const ServeSettings& settings) {
  Json j = summary_object(chip, r.totals);  // the figures `npusim run` reports
  j["serve"] = serve_json(chip, m, r, settings);
  return j.dump(2) + "\n";
}

std::string serve_summary_text(const ChipConfig& chip, const ModelConfig& m, const ServeResult& r,
                               const ServeSettings& settings) {
  const Json s = serve_json(chip, m, r, settings);
  const auto ms = [&](const char* key, const char* p) { return s[key][p].get<double>() * 1e3; };
  return fmt::format(
      "  served   {} requests ({} prompt + {} output tokens) in {:.3f} s, {} steps, {} "
      "preemptions\n"
      "  rate     {:.2f} requests/s, {:.1f} output tokens/s\n"
      "  TTFT     p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms\n"
      "  TPOT     p50 {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms\n"
      "  energy   {:.2f} mJ per request, {:.3f} mJ per output token\n",
      r.requests.size(), s["prompt_tokens"].get<uint64_t>(), s["output_tokens"].get<uint64_t>(),
      r.end_s, r.steps.size(), r.preemptions, s["throughput"]["requests_per_s"].get<double>(),
      s["throughput"]["output_tokens_per_s"].get<double>(), ms("ttft_s", "p50"),
      ms("ttft_s", "p90"), ms("ttft_s", "p99"), ms("tpot_s", "p50"), ms("tpot_s", "p90"),
      ms("tpot_s", "p99"), s["energy"]["mj_per_request"].get<double>(),
      s["energy"]["mj_per_output_token"].get<double>());
}

void write_serve_reports(const std::string& dir, bool force, const ChipConfig& chip,
                         const ModelConfig& m, const ServeResult& r,
                         const ServeSettings& settings) {
  OutputSet set(dir, force);
  set.write("requests.csv", [&](TextSink& out) {
    out.buf() +=
        "request,line,arrival_s,prompt_tokens,output_tokens,first_token_s,finish_s,ttft_s,tpot_s,"
        "e2e_s,preemptions,energy_mj\n";
    for (size_t i = 0; i < r.requests.size(); ++i) {
      const Request& q = r.requests[i];
      const RequestState& s = r.states[i];
      const std::optional<double> tpot = tpot_of(q, s);
      fmt::format_to(std::back_inserter(out.buf()),
                     "{},{},{:.9g},{},{},{:.9g},{:.9g},{:.9g},{},{:.9g},{},{:.9g}\n", i, q.line,
                     q.arrival_s, q.prompt, q.output, s.first_token_s, s.finish_s,
                     s.first_token_s - q.arrival_s, tpot ? fmt::format("{:.9g}", *tpot) : "",
                     s.finish_s - q.arrival_s, s.preemptions, s.energy_pj * 1e-9);
      out.row_done();
    }
  });
  set.write("steps.csv", [&](TextSink& out) {
    out.buf() +=
        "step,start_s,end_s,ms,prefill_seqs,decode_seqs,prefill_tokens,decode_tokens,kv_blocks,"
        "waiting,bound,dram_mb,energy_mj\n";
    for (size_t i = 0; i < r.steps.size(); ++i) {
      const ServeStep& st = r.steps[i];
      fmt::format_to(std::back_inserter(out.buf()),
                     "{},{:.9g},{:.9g},{:.6f},{},{},{},{},{},{},{},{:.6f},{:.9g}\n", i, st.start_s,
                     st.end_s, (st.end_s - st.start_s) * 1e3, st.prefill_seqs, st.decode_seqs,
                     st.prefill_tokens, st.decode_tokens, st.kv_blocks, st.waiting,
                     bound_name(st.t.dominant()), static_cast<double>(st.t.dram_bytes) * 1e-6,
                     st.t.energy_pj * 1e-9);
      out.row_done();
    }
  });
  set.write("summary.json", serve_summary_json(chip, m, r, settings));
  set.commit();
}

}  // namespace npu
