#include "sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "config/yaml_reader.h"
#include "output_set.h"
#include "report.h"

extern char** environ;

namespace npu {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kManifestVersion = 1;
/// A failed point's message keeps at most this much of what the worker wrote last.
constexpr size_t kMaxMessage = 400;
/// How often the loop looks for finished workers when it must also watch timeouts.
constexpr auto kPollInterval = std::chrono::milliseconds(2);

volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

/// Installs the stop handlers for the life of a sweep and restores the old ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking waitpid returns EINTR
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &m_old[i]);
  }
  ~StopSignals() {
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &m_old[i], nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> m_old{};
};

std::string read_file(const std::string& path) {
  config::refuse_non_regular(path);
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

/// The last non-empty line of a worker's stderr, shortened.
std::string last_line(const std::string& text) {
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) --end;
  const size_t start = text.rfind('\n', end == 0 ? 0 : end - 1);
  std::string line = text.substr(start == std::string::npos ? 0 : start + 1,
                                 end - (start == std::string::npos ? 0 : start + 1));
  if (line.size() > kMaxMessage) line = line.substr(0, kMaxMessage) + "...";
  return line;
}

std::string duration_text(double s) {
  const auto t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

void write_manifest(const std::string& dir, const Experiment& e,
                    const std::vector<std::string>& columns, const std::string& fingerprint,
                    size_t shard, size_t shards) {
  nlohmann::ordered_json j{{"npusim_sweep", kManifestVersion},
                           {"experiment", e.path},
                           {"name", e.name},
                           {"arch", e.set.empty() ? "" : e.set.front().text()},
                           {"fingerprint", fingerprint},
                           {"points", point_count(e)},
                           {"shard", fmt::format("{}/{}", shard, shards)},
                           {"columns", columns},
                           {"pareto", {{"minimize", e.minimize}, {"maximize", e.maximize}}}};
  // The arch in effect: the last `arch` override (the command line's wins over the file's).
  for (const auto& o : e.set)
    if (o.key == "arch") j["arch"] = o.text();
  write_file_atomic((fs::path(dir) / "sweep.json").string(), j.dump(2) + "\n");
}

struct Worker {
  size_t id;
  std::string scratch;
  Clock::time_point start;
  bool timed_out = false;
};

/// fork + exec of `argv[0]`: stdin from /dev/null, stdout to /dev/null, stderr to `err_path`.
pid_t spawn(const std::vector<std::string>& argv, const std::string& err_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start a worker (" + argv[0] + "): " + std::strerror(rc));
  return pid;
}

/// An exclusive lock on DIR/.lock for the life of the sweep: two sweeps never write one folder.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir) {
    const std::string path = (fs::path(dir) / ".lock").string();
    m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(m_fd);
      throw std::runtime_error("another sweep is writing " + dir);
    }
  }
  ~FolderLock() { ::close(m_fd); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace

std::vector<std::string> result_columns(const Experiment& e,
                                        const std::vector<std::string>& metrics) {
  std::vector<std::string> c{"point"};
  for (const auto& a : e.axes) c.push_back(a.key);
  c.push_back("status");
  c.insert(c.end(), metrics.begin(), metrics.end());
  c.push_back("message");
  return c;
}

std::string experiment_fingerprint(const Experiment& e, const std::vector<std::string>& columns) {
  const config::Value doc = config::load_document(e.path);
  YAML::Emitter em;
  em << doc.node();
  std::string text = em.c_str();
  for (size_t i = e.set.size() - e.cli_sets; i < e.set.size(); ++i)
    text += "\n--set " + e.set[i].key + "=" + e.set[i].text();
  for (const auto& c : columns) text += "\ncolumn " + c;
  text += "\npoints " + std::to_string(point_count(e));
  return fnv1a_hex(text);
}

SweepManifest read_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / "sweep.json").string();
  if (!fs::exists(path)) throw std::runtime_error(dir + " holds no sweep (no sweep.json)");
  SweepManifest m;
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    m.experiment = j.at("experiment").get<std::string>();
    m.name = j.at("name").get<std::string>();
    m.arch = j.at("arch").get<std::string>();
    m.fingerprint = j.at("fingerprint").get<std::string>();
    m.points = j.at("points").get<size_t>();
    const std::string shard = j.at("shard").get<std::string>();
    m.shard = std::stoul(shard.substr(0, shard.find('/')));
    m.shards = std::stoul(shard.substr(shard.find('/') + 1));
    m.columns = j.at("columns").get<std::vector<std::string>>();
    m.minimize = j.at("pareto").at("minimize").get<std::vector<std::string>>();
    m.maximize = j.at("pareto").at("maximize").get<std::vector<std::string>>();
  } catch (const std::exception& ex) {
    throw std::runtime_error(path + ": not a sweep manifest (" + ex.what() + ")");
  }
  return m;
}

size_t write_pareto(const std::string& dir, const ResultTable& t,
                    const std::vector<std::string>& minimize,
                    const std::vector<std::string>& maximize) {
  const auto front = pareto_front(t, minimize, maximize);
  write_file_atomic((fs::path(dir) / "pareto.csv").string(), select_rows(t, front).csv());
  return front.size();
}

namespace {

/// One run of run_sweep(), step by step: open the folder, resume what it holds, list the points
/// to do, spawn workers, reap them, append their rows, report progress, finish the folder.
class SweepRun {
 public:
  SweepRun(const Experiment& e, const std::vector<std::string>& metrics, const SweepOptions& o)
      : m_e(e),
        m_metrics(metrics),
        m_o(o),
        m_t0(Clock::now()),
        m_columns(result_columns(e, metrics)),
        m_dir(o.out),
        m_results_path((m_dir / "results.csv").string()),
        m_work(m_dir / ".work"),
        m_jobs(std::max<size_t>(1, o.jobs)),
        m_resolver(e) {
    m_res.points = point_count(e);
  }
  ~SweepRun() {
    if (m_fd >= 0) ::close(m_fd);
  }
  SweepRun(const SweepRun&) = delete;
  SweepRun& operator=(const SweepRun&) = delete;

  SweepResult run() {
    const std::string fingerprint = experiment_fingerprint(m_e, m_columns);
    open_folder(fingerprint);
    const std::set<size_t> done = resume();
    write_manifest(m_o.out, m_e, m_columns, fingerprint, m_o.shard, m_o.shards);
    plan(done);
    prepare_work();
    StopSignals stop_signals;
    progress();
    work();
    if (g_stop) stop();
    if (m_o.progress) std::fprintf(stderr, "\n");
    finish();
    m_res.wall_s = std::chrono::duration<double>(Clock::now() - m_t0).count();
    return m_res;
  }

 private:
  /// Creates and locks the folder; refuses one holding another sweep or another shard.
  void open_folder(const std::string& fingerprint) {
    std::error_code ec;
    if (fs::exists(m_dir, ec) && !fs::is_directory(m_dir, ec))
      throw ConfigError(m_o.out, 0, 0, "", "exists and is not a folder; give a results folder");
    fs::create_directories(m_dir, ec);
    if (ec) throw std::runtime_error("cannot create " + m_o.out + ": " + ec.message());
    m_lock.emplace(m_o.out);
    if (!fs::exists(m_dir / "sweep.json")) return;
    const SweepManifest m = read_manifest(m_o.out);
    if (m.fingerprint != fingerprint)
      throw std::runtime_error(m_o.out + " holds the results of another sweep (" + m.experiment +
                               ", or the same file since edited); use another --out");
    if (m.shard != m_o.shard || m.shards != m_o.shards)
      throw std::runtime_error(fmt::format("{} holds shard {}/{}, not {}/{}", m_o.out, m.shard,
                                           m.shards, m_o.shard, m_o.shards));
  }

  /// The points results.csv already holds (with retry_failed: those that ran ok), the file
  /// rewritten without the others; a new file with the header when there is none.
  std::set<size_t> resume() {
    std::set<size_t> done;
    if (!fs::exists(m_results_path)) {
      write_file_atomic(m_results_path, csv_line(m_columns));
      return done;
    }
    size_t partial = 0;
    ResultTable t = read_results(m_results_path, &partial);
    if (!t.rows.empty() && !m_o.resume)
      throw std::runtime_error(m_o.out +
                               " already holds results; add --resume to finish them, or "
                               "use another --out");
    if (!t.columns.empty() && t.columns != m_columns)
      throw std::runtime_error(m_results_path + " has other columns than this sweep's");
    if (partial > 0) {
      // Only a file system that broke one write() could leave this; the row is run again.
      fs::resize_file(m_results_path, fs::file_size(m_results_path) - partial);
    }
    bool rewrite = false;
    std::vector<std::vector<std::string>> kept;
    const size_t status = *t.column("status");
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const size_t id = t.id(r);
      if (id >= m_res.points || id % m_o.shards != m_o.shard)
        throw std::runtime_error(
            fmt::format("{}: point {} is not one of this sweep's", m_results_path, id));
      if (done.count(id) || (m_o.retry_failed && t.rows[r][status] != "ok")) {
        rewrite = true;
        continue;
      }
      done.insert(id);
      kept.push_back(t.rows[r]);
    }
    if (t.columns.empty()) {
      write_file_atomic(m_results_path, csv_line(m_columns));
    } else if (rewrite) {
      t.rows = std::move(kept);
      write_file_atomic(m_results_path, t.csv());
    }
    return done;
  }

  /// The points of the shard not yet recorded.
  void plan(const std::set<size_t>& done) {
    for (size_t id = m_o.shard; id < m_res.points; id += m_o.shards) {
      ++m_res.in_shard;
      if (!done.count(id)) m_todo.push_back(id);
    }
    m_res.already = m_res.in_shard - m_todo.size();
  }

  /// The scratch folder, the kept reports' folder and results.csv opened for appending.
  void prepare_work() {
    std::error_code ec;
    fs::remove_all(m_work, ec);
    fs::create_directories(m_work, ec);
    if (ec) throw std::runtime_error("cannot create " + m_work.string() + ": " + ec.message());
    if (m_o.keep_reports) fs::create_directories(m_dir / "points", ec);
    m_fd = ::open(m_results_path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (m_fd < 0)
      throw std::runtime_error("cannot open " + m_results_path + ": " + std::strerror(errno));
  }

  /// Keeps `jobs` workers running until every point is done or a stop signal comes.
  void work() {
    while ((m_next < m_todo.size() || !m_running.empty()) && !g_stop) {
      while (m_running.size() < m_jobs && m_next < m_todo.size() && !g_stop)
        spawn_point(m_todo[m_next++]);
      int st = 0;
      const pid_t pid = ::waitpid(-1, &st, m_o.timeout_s > 0 ? WNOHANG : 0);
      if (pid > 0) {
        reap(pid, st);
      } else if (pid == 0) {
        kill_timed_out();
        std::this_thread::sleep_for(kPollInterval);
      } else if (errno != EINTR) {
        break;
      }
    }
  }

  void spawn_point(size_t id) {
    std::error_code ec;
    const std::string scratch =
        (m_work / fmt::format("{}.{}.{}", id, ::getpid(), m_seq++)).string();
    fs::create_directories(scratch, ec);
    if (ec) throw std::runtime_error("cannot create " + scratch + ": " + ec.message());
    std::vector<std::string> argv{m_o.worker,         "point", m_e.path, "--id",
                                  std::to_string(id), "--out", scratch};
    for (const auto& s : m_o.set_args) argv.insert(argv.end(), {"--set", s});
    if (m_o.keep_reports) argv.push_back("--reports");
    const pid_t pid = spawn(argv, scratch + "/stderr.txt");
    m_running[pid] = Worker{id, scratch, Clock::now()};
  }

  void kill_timed_out() {
    for (auto& [p, wk] : m_running)
      if (!wk.timed_out &&
          std::chrono::duration<double>(Clock::now() - wk.start).count() > m_o.timeout_s) {
        wk.timed_out = true;
        ::kill(p, SIGKILL);
      }
  }

  /// After a stop signal: the running workers are terminated and reaped (not recorded).
  void stop() {
    m_res.interrupted = true;
    for (const auto& [p, wk] : m_running) ::kill(p, SIGTERM);
    while (!m_running.empty()) {
      int st = 0;
      const pid_t pid = ::waitpid(-1, &st, 0);
      if (pid > 0)
        reap(pid, st);
      else if (errno != EINTR)
        break;
    }
  }

  /// A worker ended: its point's row, its reports kept or removed.
  void reap(pid_t pid, int st) {
    auto it = m_running.find(pid);
    if (it == m_running.end()) return;
    const Worker wk = it->second;
    m_running.erase(it);
    m_res.worker_s += std::chrono::duration<double>(Clock::now() - wk.start).count();
    std::error_code ec;
    if (stopped_by_us(st)) {
      fs::remove_all(wk.scratch, ec);
      return;
    }
    std::map<std::string, std::string> values;
    std::string message;
    const std::string status = outcome(wk, st, values, message);
    append(wk.id, status, values, message);
    ++m_res.ran;
    ++(status == "ok" ? m_res.ok : m_res.failed);
    if (m_o.keep_reports) {
      const fs::path keep = m_dir / "points" / std::to_string(wk.id);
      fs::remove_all(keep, ec);
      fs::rename(wk.scratch, keep, ec);
    }
    fs::remove_all(wk.scratch, ec);
    progress();
  }

  /// Whether a worker ended because a stop signal had us end it: not a result.
  static bool stopped_by_us(int st) {
    const bool signalled = WIFSIGNALED(st);
    return g_stop &&
           (!signalled || WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM ||
            WTERMSIG(st) == SIGHUP || WTERMSIG(st) == SIGKILL) &&
           !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }

  /// The status of a finished worker's point ("ok", "timeout", "crashed", "failed"), its
  /// metrics when ok, else the message.
  std::string outcome(const Worker& wk, int st, std::map<std::string, std::string>& values,
                      std::string& message) const {
    const std::string err = last_line(read_file(wk.scratch + "/stderr.txt"));
    if (wk.timed_out) {
      message = fmt::format("no result after {} s", m_o.timeout_s);
      return "timeout";
    }
    if (WIFSIGNALED(st)) {
      message = fmt::format("killed by signal {} ({})", WTERMSIG(st), strsignal(WTERMSIG(st)));
      if (!err.empty()) message += ": " + err;
      return "crashed";
    }
    if (WEXITSTATUS(st) != 0) {
      message = fmt::format("exit {}: {}", WEXITSTATUS(st), err.empty() ? "no message" : err);
      return "failed";
    }
    try {
      values = flatten_summary(read_file(wk.scratch + "/summary.json"));
      if (values.empty()) throw std::runtime_error("empty summary.json");
    } catch (const std::exception& ex) {
      values.clear();
      message = std::string("the worker exited 0 but its summary is unreadable: ") + ex.what();
      return "failed";
    }
    return "ok";
  }

  /// One row, with one write() of the whole line to the file opened O_APPEND: the row is in
  /// whole or not at all.
  void append(size_t id, const std::string& status,
              const std::map<std::string, std::string>& values, const std::string& message) {
    std::vector<std::string> row{std::to_string(id)};
    for (auto& v : m_resolver.values(id)) row.push_back(std::move(v));
    row.push_back(status);
    for (const auto& m : m_metrics) {
      const auto it = values.find(m);
      row.push_back(it == values.end() ? "" : it->second);
    }
    row.push_back(message);
    const std::string line = csv_line(row);
    const ssize_t w = ::write(m_fd, line.data(), line.size());
    if (w != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("cannot append to " + m_results_path + ": " +
                               (w < 0 ? std::strerror(errno) : "short write"));
  }

  /// The progress line on stderr (with --progress): points, ok, failed, elapsed, ETA.
  void progress() const {
    if (!m_o.progress) return;
    const size_t finished = m_res.ran;
    const double elapsed = std::chrono::duration<double>(Clock::now() - m_t0).count();
    const size_t left = m_todo.size() - finished;
    std::string eta =
        finished > 0
            ? duration_text(elapsed / static_cast<double>(finished) * static_cast<double>(left))
            : "?";
    std::fprintf(stderr, "\r[%zu/%zu] %5.1f%%  ok %zu  failed %zu  elapsed %s  ETA %s   ",
                 m_res.already + finished, m_res.in_shard,
                 m_res.in_shard ? 100.0 * static_cast<double>(m_res.already + finished) /
                                      static_cast<double>(m_res.in_shard)
                                : 100.0,
                 m_res.ok, m_res.failed, duration_text(elapsed).c_str(), eta.c_str());
    std::fflush(stderr);
  }

  /// Every point of the shard in: results.csv in point order, the Pareto front, no scratch.
  void finish() {
    m_res.complete = !m_res.interrupted && m_res.already + m_res.ran == m_res.in_shard;
    if (!m_res.complete) return;
    ResultTable t = read_results(m_results_path);
    t.sort_by_id();
    write_file_atomic(m_results_path, t.csv());
    m_res.pareto = write_pareto(m_o.out, t, m_e.minimize, m_e.maximize);
    std::error_code ec;
    fs::remove_all(m_work, ec);
  }

  const Experiment& m_e;
  const std::vector<std::string>& m_metrics;
  const SweepOptions& m_o;
  const Clock::time_point m_t0;
  const std::vector<std::string> m_columns;
  const fs::path m_dir;
  const std::string m_results_path;
  const fs::path m_work;
  const size_t m_jobs;
  PointResolver m_resolver;  ///< every point's swept values, as the rows show them
  SweepResult m_res;
  std::optional<FolderLock> m_lock;
  int m_fd = -1;  ///< results.csv, for appending
  std::vector<size_t> m_todo;
  size_t m_next = 0, m_seq = 0;
  std::map<pid_t, Worker> m_running;
};

}  // namespace

SweepResult run_sweep(const Experiment& e, const std::vector<std::string>& metrics,
                      const SweepOptions& o) {
  return SweepRun(e, metrics, o).run();
}

namespace {

/// Refuses (ConfigError: bad input, exit status 2) an OUT holding files merge would replace
/// (results.csv, pareto.csv, sweep.json) that are not a sweep of `fingerprint`'s, unless `force`.
void check_merge_folder(const std::string& out, const std::string& fingerprint, bool force) {
  std::error_code ec;
  const fs::file_status st = fs::status(out, ec);
  if (!fs::exists(st)) return;
  if (!fs::is_directory(st)) throw ConfigError(out, 0, 0, "", "exists and is not a folder");
  if (force) return;
  std::vector<std::string> present;
  for (const char* name : {"results.csv", "pareto.csv", "sweep.json"})
    if (fs::exists(fs::symlink_status(fs::path(out) / name, ec))) present.emplace_back(name);
  if (present.empty()) return;
  std::optional<SweepManifest> m;
  try {
    m = read_manifest(out);
  } catch (const std::exception&) {
  }
  if (m && m->fingerprint == fingerprint) return;  // a merge (or a shard) of this sweep
  std::string names;
  for (const auto& n : present) names += (names.empty() ? "" : ", ") + n;
  throw ConfigError(out, 0, 0, "",
                    "the folder holds " + names +
                        " that npusim did not write for this sweep; merge into a new or empty "
                        "folder, or give --force to replace them");
}

}  // namespace

MergeResult merge_results(const std::string& out, const std::vector<std::string>& dirs,
                          bool partial, bool force) {
  if (dirs.empty()) throw std::runtime_error("merge: name the folders to join");
  MergeResult res;
  std::optional<SweepManifest> first;
  std::map<size_t, std::vector<std::string>> rows;
  std::vector<std::string> columns;
  for (const auto& d : dirs) {
    const SweepManifest m = read_manifest(d);
    if (!first) {
      first = m;
      columns = m.columns;
    } else if (m.fingerprint != first->fingerprint) {
      throw std::runtime_error(d + " holds another sweep than " + dirs[0] + " (" + m.experiment +
                               " vs " + first->experiment + ")");
    }
    const std::string path = (fs::path(d) / "results.csv").string();
    if (!fs::exists(path)) continue;
    const ResultTable t = read_results(path);
    if (t.columns != columns) throw std::runtime_error(path + " has other columns than " + dirs[0]);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const size_t id = t.id(r);
      if (id >= first->points)
        throw std::runtime_error(fmt::format("{}: point {} is not one of the sweep's", path, id));
      auto [it, fresh] = rows.emplace(id, t.rows[r]);
      if (!fresh && it->second != t.rows[r])
        throw std::runtime_error(fmt::format("point {} differs between the folders", id));
    }
  }
  res.points = first->points;
  res.rows = rows.size();
  res.missing = res.points - rows.size();
  if (res.missing > 0 && !partial) {
    std::string some;
    size_t listed = 0;
    for (size_t id = 0; id < res.points && listed < 10; ++id)
      if (!rows.count(id)) some += (listed++ ? ", " : "") + std::to_string(id);
    throw std::runtime_error(
        fmt::format("{} of {} points are in none of the folders (e.g. {}); "
                    "finish the shards, or --partial",
                    res.missing, res.points, some));
  }
  check_merge_folder(out, first->fingerprint, force);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw std::runtime_error("cannot create " + out + ": " + ec.message());
  ResultTable t;
  t.columns = columns;
  for (auto& [id, row] : rows) t.rows.push_back(row);
  write_file_atomic((fs::path(out) / "results.csv").string(), t.csv());
  res.pareto = write_pareto(out, t, first->minimize, first->maximize);
  nlohmann::ordered_json j{
      {"npusim_sweep", kManifestVersion},
      {"experiment", first->experiment},
      {"name", first->name},
      {"arch", first->arch},
      {"fingerprint", first->fingerprint},
      {"points", first->points},
      {"shard", "0/1"},
      {"columns", columns},
      {"pareto", {{"minimize", first->minimize}, {"maximize", first->maximize}}},
      {"merged_from", dirs}};
  write_file_atomic((fs::path(out) / "sweep.json").string(), j.dump(2) + "\n");
  return res;
}

}  // namespace npu
