#include "output_set.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "config/error.h"

namespace npu {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_io(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

/// Writes all of `size` bytes at `data` to the open file `fd`; throws on an error (the caller
/// owns and closes `fd`).
void write_all(int fd, const std::string& path, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail_io("error writing", path, w < 0 ? errno : EIO);
    done += static_cast<size_t>(w);
  }
}

/// Writes what `produce` makes to the open file `fd`, syncs it when `sync`, and closes it (once,
/// whatever fails).
void write_fd(int fd, const std::string& path, const std::function<void(TextSink&)>& produce,
              bool sync) {
  OutputFile(fd, path, "", sync).write(produce);
}

void write_fd(int fd, const std::string& path, const std::string& content, bool sync) {
  write_fd(
      fd, path, [&content](TextSink& s) { s.write_direct(content); }, sync);
}

/// A producer of `content` (which must outlive it), written without a copy.
std::function<void(TextSink&)> text(const std::string& content) {
  return [&content](TextSink& s) { s.write_direct(content); };
}

/// Creates `path`, a file that must not exist yet (O_EXCL: never an existing file, never
/// through a symbolic link), open for writing.
int create_new(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) fail_io("cannot write", path, errno);
  return fd;
}

/// Writes what `produce` makes to the new file `path` (create_new) and syncs it to disk.
void write_synced(const std::string& path, const std::function<void(TextSink&)>& produce) {
  write_fd(create_new(path), path, produce, true);
}

/// 16 random hex digits: the part of a name npusim picks that nobody can predict.
std::string random_suffix() {
  static std::random_device device;
  static std::mt19937_64 rng((uint64_t{device()} << 32) ^ device() ^
                             static_cast<uint64_t>(::getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

/// Syncs a folder's entries (a rename into or out of it) to disk; best effort.
void sync_folder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string manifest_text(const std::vector<std::string>& files) {
  const nlohmann::ordered_json j{{"npusim", NPUSIM_VERSION}, {"files", files}};
  return j.dump(2) + "\n";
}

bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

/// The files a folder's manifest lists, or nothing when it has no readable manifest.
std::optional<std::vector<std::string>> manifest_files(const fs::path& dir) {
  std::error_code ec;
  const fs::path m = dir / kManifestName;
  if (!fs::is_regular_file(m, ec)) return std::nullopt;
  FILE* f = std::fopen(m.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < (1u << 20))
    text.append(buf, n);
  std::fclose(f);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("npusim") || !j.contains("files") || !j["files"].is_array())
    return std::nullopt;
  std::vector<std::string> files;
  for (const auto& x : j["files"]) {
    if (!x.is_string() || !plain_name(x.get<std::string>()) || x == kManifestName)
      return std::nullopt;
    files.push_back(x.get<std::string>());
  }
  return files;
}

enum class FolderState { kAbsent, kEmpty, kPreviousSet, kForeign };

struct Inspection {
  FolderState state = FolderState::kAbsent;
  std::vector<std::string> foreign;  ///< entries no manifest lists
};

Inspection inspect(const fs::path& dir, const std::string& shown) {
  Inspection r;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw std::runtime_error("cannot write reports to " + shown + ": " + ec.message());
  if (!fs::exists(st)) return r;
  if (!fs::is_directory(st))
    throw ConfigError(shown, 0, 0, "",
                      "cannot write the reports there: it exists and is not a folder");
  const auto listed = manifest_files(dir);
  std::vector<std::string> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(it->path().filename().string());
  if (ec) throw std::runtime_error("cannot read the folder " + shown + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  for (const std::string& e : entries) {
    const bool ours =
        listed && (e == kManifestName || std::count(listed->begin(), listed->end(), e) > 0);
    if (!ours) r.foreign.push_back(e);
  }
  r.state = entries.empty()     ? FolderState::kEmpty
            : r.foreign.empty() ? FolderState::kPreviousSet
                                : FolderState::kForeign;
  return r;
}

/// The output folder as an absolute path without a trailing separator, through a symbolic link
/// to the folder it names (the link stays; the folder is replaced).
fs::path resolve(const std::string& dir) {
  if (dir.empty()) throw ConfigError(dir, 0, 0, "", "the output folder is an empty path");
  fs::path p = fs::absolute(fs::path(dir)).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::error_code ec;
  if (fs::is_symlink(p, ec)) {
    p = fs::weakly_canonical(p, ec);
    if (ec)
      throw std::runtime_error("cannot resolve the output folder " + dir + ": " + ec.message());
  }
  if (p == p.root_path())
    throw ConfigError(dir, 0, 0, "",
                      "the output folder cannot be the root folder (it would be replaced as a "
                      "whole); give a folder inside it");
  return p;
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
}

/// The temporary name of a staging folder's manifest while it is rewritten (the folder is
/// npusim's own: nobody else writes into it).
const std::string kManifestTmp = std::string(kManifestName) + ".tmp";

/// Removes what a staging folder's manifest lists, the manifest (and its temporary), then the
/// folder if that empties it; anything else in it stays. Best effort.
void remove_staging(const fs::path& dir) {
  std::error_code ec;
  if (const auto files = manifest_files(dir))
    for (const std::string& f : *files) fs::remove(dir / f, ec);
  fs::remove(dir / kManifestTmp, ec);
  fs::remove(dir / kManifestName, ec);
  fs::remove(dir, ec);  // only when empty
}

/// The pid in `name` when it is a staging folder name npusim makes for the output folder
/// `prefix` names: `<prefix><pid>-<hex>`, or `<prefix><pid>-<hex>-old`; else 0.
long staging_pid(const std::string& name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) != 0) return 0;
  size_t i = prefix.size();
  const size_t digits = i;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  if (i == digits || i - digits > 10 || i == name.size() || name[i] != '-') return 0;
  const long pid = std::strtol(name.c_str() + digits, nullptr, 10);
  const size_t hex = ++i;
  while (i < name.size() && std::isxdigit(static_cast<unsigned char>(name[i]))) ++i;
  if (i - hex != 16) return 0;
  const std::string rest = name.substr(i);
  return rest.empty() || rest == "-old" ? pid : 0;
}

/// Staging folders of `out` in `where` (beside it, or in it when forced) left by runs that were
/// stopped (their process is gone): only folders named as npusim names them, owned by this user,
/// holding a manifest (written first) or nothing; from each only what its manifest lists is
/// deleted (remove_staging).
void remove_stale_staging(const fs::path& out, const fs::path& where) {
  const std::string prefix = "." + out.filename().string() + ".npusim-";
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const long pid = staging_pid(name, prefix);
    if (pid <= 0 || process_alive(pid)) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    if (manifest_files(it->path()) || fs::is_empty(it->path(), ec)) stale.push_back(it->path());
  }
  for (const fs::path& d : stale) remove_staging(d);
}

/// Deletes what the manifest of `dir` lists, the manifest, and `dir` if that empties it.
void remove_set(const fs::path& dir) {
  std::error_code ec;
  if (const auto files = manifest_files(dir))
    for (const std::string& f : *files) fs::remove(dir / f, ec);
  fs::remove(dir / kManifestName, ec);
  fs::remove(dir, ec);
}

/// inspect(), refusing a folder with entries npusim did not write unless `force`.
Inspection checked(const fs::path& dir, const std::string& shown, bool force) {
  const Inspection in = inspect(dir, shown);
  if (in.state != FolderState::kForeign || force) return in;
  std::string names;
  for (size_t i = 0; i < in.foreign.size() && i < 5; ++i) names += (i ? ", " : "") + in.foreign[i];
  if (in.foreign.size() > 5) names += " and " + std::to_string(in.foreign.size() - 5) + " more";
  throw ConfigError(shown, 0, 0, "",
                    "the output folder holds files npusim did not write (" + names +
                        "); give a new or empty folder, or --force to write the reports into "
                        "this one (files named like the reports are replaced, others kept)");
}

}  // namespace

std::string create_unique_file(const std::string& dir, const std::string& prefix, int& fd) {
  for (int attempt = 0;; ++attempt) {
    const std::string path = (fs::path(dir) / (prefix + random_suffix())).string();
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return path;
    if (errno != EEXIST || attempt > 100) fail_io("cannot write", path, errno);
  }
}

namespace {

/// A new file beside `dir`/`name` that replaces it when closed (synced first when `sync`).
std::unique_ptr<OutputFile> open_replacing(const std::string& dir, const std::string& name,
                                           bool sync) {
  int fd = -1;
  const std::string tmp = create_unique_file(dir, "." + name + ".npusim-", fd);
  try {
    return std::make_unique<OutputFile>(fd, tmp, (fs::path(dir) / name).string(), sync);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

void write_replacing(const std::string& dir, const std::string& name,
                     const std::function<void(TextSink&)>& produce, bool sync) {
  open_replacing(dir, name, sync)->write(produce);
}

}  // namespace

void write_replacing(const std::string& dir, const std::string& name, const std::string& content,
                     bool sync) {
  write_replacing(dir, name, text(content), sync);
}

struct TextSink::Deflate {
  z_stream z{};
  std::vector<unsigned char> out = std::vector<unsigned char>(size_t{1} << 18);
  ~Deflate() { deflateEnd(&z); }
};

OutputFile::OutputFile(int fd, std::string path, std::string final_path, bool sync, int* open_count)
    : m_fd(fd),
      m_path(std::move(path)),
      m_final(std::move(final_path)),
      m_sync(sync),
      m_open_count(open_count),
      m_sink(fd, m_path) {
  if (m_open_count) ++*m_open_count;
}

OutputFile::~OutputFile() {
  if (m_fd < 0) return;
  if (m_open_count) --*m_open_count;
  ::close(m_fd);
  if (!m_final.empty()) ::unlink(m_path.c_str());  // not at its name: never renamed
}

void OutputFile::close() {
  if (m_fd < 0) throw std::logic_error("OutputFile::close: closed already");
  m_sink.finish();
  if (m_sync && ::fsync(m_fd) != 0) fail_io("cannot sync", m_path, errno);
  if (m_open_count) --*m_open_count;
  const int fd = std::exchange(m_fd, -1);
  const auto fail = [this](const char* what, const std::string& path) {
    const int err = errno;
    if (!m_final.empty()) ::unlink(m_path.c_str());
    fail_io(what, path, err);
  };
  if (::close(fd) != 0) fail("error writing", m_path);
  if (!m_final.empty() && ::rename(m_path.c_str(), m_final.c_str()) != 0)
    fail("cannot write", m_final);
}

TextSink::TextSink() = default;
TextSink::TextSink(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
TextSink::~TextSink() = default;

void TextSink::gzip() {
  if (m_fd < 0 || !m_buf.empty() || m_deflate) throw std::logic_error("TextSink::gzip: too late");
  m_deflate = std::make_unique<Deflate>();
  // windowBits 15 + 16: the gzip wrapper; level 6, zlib's default.
  if (deflateInit2(&m_deflate->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error(m_path + ": cannot start gzip compression");
}

void TextSink::put(const char* data, size_t size) {
  if (!m_deflate) return write_all(m_fd, m_path, data, size);
  z_stream& z = m_deflate->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = static_cast<uInt>(size);  // at most a flush's worth: kFlushBytes-ish pieces
  do {
    z.next_out = m_deflate->out.data();
    z.avail_out = static_cast<uInt>(m_deflate->out.size());
    deflate(&z, Z_NO_FLUSH);
    write_all(m_fd, m_path, reinterpret_cast<const char*>(m_deflate->out.data()),
              m_deflate->out.size() - z.avail_out);
  } while (z.avail_out == 0);
}

void TextSink::flush() {
  if (m_fd < 0 || m_buf.empty()) return;
  // In pieces zlib's 32-bit counts take.
  for (size_t at = 0; at < m_buf.size(); at += kFlushBytes)
    put(m_buf.data() + at, std::min(kFlushBytes, m_buf.size() - at));
  m_buf.clear();
}

void TextSink::write_direct(const std::string& text) {
  if (m_fd < 0) {
    m_buf += text;
    return;
  }
  flush();
  for (size_t at = 0; at < text.size(); at += kFlushBytes)
    put(text.data() + at, std::min(kFlushBytes, text.size() - at));
}

void TextSink::finish() {
  flush();
  if (!m_deflate) return;
  z_stream& z = m_deflate->z;
  z.next_in = nullptr;
  z.avail_in = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = m_deflate->out.data();
    z.avail_out = static_cast<uInt>(m_deflate->out.size());
    rc = deflate(&z, Z_FINISH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      throw std::runtime_error(m_path + ": gzip compression failed");
    write_all(m_fd, m_path, reinterpret_cast<const char*>(m_deflate->out.data()),
              m_deflate->out.size() - z.avail_out);
  }
  m_deflate.reset();
}

void check_output_folder(const std::string& dir, bool force) {
  checked(resolve(dir), dir, force);
}

OutputSet::OutputSet(std::string dir, bool force) : m_dir(resolve(dir).string()) {
  const fs::path out(m_dir);
  m_force = checked(out, dir, force).state == FolderState::kForeign;
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  if (ec)
    throw std::runtime_error("cannot create the folder " + out.parent_path().string() + ": " +
                             ec.message());
  // Forced, the set is written in place: the staging folder, inside the output folder, only
  // holds each file until it is complete.
  const fs::path home = m_force ? out : out.parent_path();
  remove_stale_staging(out, home);
  for (int attempt = 0;; ++attempt) {
    // mkdtemp-style: a name nobody can predict, created only if nothing has it (mkdir fails on
    // an existing entry, a symbolic link included); mkdir rather than mkdtemp keeps the usual
    // permissions (0777 less the umask), which the output folder takes when it is new.
    const fs::path staging = home / ("." + out.filename().string() + ".npusim-" +
                                     std::to_string(::getpid()) + "-" + random_suffix());
    if (::mkdir(staging.c_str(), 0777) == 0) {
      m_staging = staging.string();
      break;
    }
    if (errno != EEXIST || attempt > 100)
      fail_io("cannot create the folder", staging.string(), errno);
  }
  // The manifest comes first: it marks the folder as npusim's should the run be stopped, and
  // names each file before it is written, so a clean-up deletes what the run wrote and no more.
  write_synced((fs::path(m_staging) / kManifestName).string(), text(manifest_text({})));
}

OutputSet::~OutputSet() {
  if (!m_committed && !m_staging.empty()) remove_staging(m_staging);
}

void OutputSet::write(const std::string& name, const std::string& content) {
  write(name, text(content));
}

void OutputSet::write(const std::string& name, const std::function<void(TextSink&)>& produce) {
  open(name)->write(produce);
}

std::unique_ptr<OutputFile> OutputSet::open(const std::string& name) {
  if (!plain_name(name) || name == kManifestName)
    throw std::invalid_argument("OutputSet::open: not a plain file name: " + name);
  if (m_committed) throw std::logic_error("OutputSet::open after commit()");
  const bool fresh = std::find(m_files.begin(), m_files.end(), name) == m_files.end();
  const fs::path staging(m_staging);
  if (fresh) {
    // Named in the manifest before it exists (not synced: it only guides a clean-up).
    std::vector<std::string> listed = m_files;
    listed.push_back(name);
    write_manifest_in_staging(listed, false);
  } else {
    ::unlink((staging / name).c_str());  // written again: replaced
  }
  const std::string path = (staging / name).string();
  // Forced, a complete file replaces its name in the output folder (a link there is replaced,
  // never written through).
  const std::string final_path = m_force ? (fs::path(m_dir) / name).string() : "";
  const int fd = create_new(path);
  std::unique_ptr<OutputFile> f;
  try {
    f = std::make_unique<OutputFile>(fd, path, final_path, true, &m_open);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (fresh) m_files.push_back(name);
  return f;
}

int OutputSet::open_scratch() {
  if (m_committed) throw std::logic_error("OutputSet::open_scratch after commit()");
  int fd = ::open(m_staging.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  // No O_TMPFILE on this file system: a new name in npusim's own staging folder, unlinked at once.
  for (int attempt = 0;; ++attempt) {
    const std::string path = (fs::path(m_staging) / (".scratch-" + random_suffix())).string();
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::unlink(path.c_str());
      return fd;
    }
    if (errno != EEXIST || attempt > 100) fail_io("cannot write", path, errno);
  }
}

void OutputSet::write_manifest_in_staging(const std::vector<std::string>& files, bool sync) {
  const fs::path staging(m_staging);
  const fs::path tmp = staging / kManifestTmp;
  ::unlink(tmp.c_str());  // a previous attempt's, in npusim's own folder
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) fail_io("cannot write", tmp.string(), errno);
  write_fd(fd, tmp.string(), manifest_text(files), sync);
  if (::rename(tmp.c_str(), (staging / kManifestName).c_str()) != 0)
    fail_io("cannot write", (staging / kManifestName).string(), errno);
}

void OutputSet::commit() {
  if (m_committed) return;
  if (m_open > 0) throw std::logic_error("OutputSet::commit with a file still open");
  const fs::path out(m_dir);
  if (m_force) {
    // In place: drop the previous set's files this one lacks, then the manifest.
    std::error_code ec;
    if (const auto previous = manifest_files(out))
      for (const std::string& f : *previous)
        if (std::find(m_files.begin(), m_files.end(), f) == m_files.end()) fs::remove(out / f, ec);
    write_replacing(m_dir, kManifestName, manifest_text(m_files));
    sync_folder(m_dir);
    m_committed = true;
    remove_staging(m_staging);  // its files moved out as they were closed
    m_staging.clear();
    return;
  }

  write_manifest_in_staging(m_files, true);
  sync_folder(m_staging);

  // The folder may have changed while the run simulated: check it again.
  const Inspection now = inspect(out, m_dir);
  if (now.state == FolderState::kForeign)
    throw ConfigError(m_dir, 0, 0, "",
                      "files npusim did not write appeared in the output folder during the run; "
                      "the reports were not written");
  bool swapped = false;
  if (now.state == FolderState::kAbsent) {
    if (::rename(m_staging.c_str(), m_dir.c_str()) == 0) {
      m_committed = true;
      m_staging.clear();
      sync_folder(out.parent_path().string());
      return;
    }
    if (errno != EEXIST && errno != ENOTEMPTY) fail_io("cannot create", m_dir, errno);
    if (inspect(out, m_dir).state == FolderState::kForeign)  // created meanwhile, by someone else
      throw ConfigError(m_dir, 0, 0, "",
                        "the output folder was created during the run, with files npusim did not "
                        "write; the reports were not written");
  }
  // Keep the folder's permissions: it is the same folder to whoever uses it.
  struct stat st {};
  if (::stat(m_dir.c_str(), &st) == 0) ::chmod(m_staging.c_str(), st.st_mode & 07777);
  if (::renameat2(AT_FDCWD, m_staging.c_str(), AT_FDCWD, m_dir.c_str(), RENAME_EXCHANGE) == 0) {
    swapped = true;
  } else if (errno == EINVAL || errno == ENOSYS) {  // no RENAME_EXCHANGE on this file system
    const std::string old = m_staging + "-old";
    if (::rename(m_dir.c_str(), old.c_str()) != 0) fail_io("cannot replace", m_dir, errno);
    if (::rename(m_staging.c_str(), m_dir.c_str()) != 0) {
      const int err = errno;
      ::rename(old.c_str(), m_dir.c_str());
      fail_io("cannot replace", m_dir, err);
    }
    m_staging = old;
    swapped = true;
  }
  if (!swapped) fail_io("cannot replace", m_dir, errno);
  m_committed = true;
  sync_folder(out.parent_path().string());
  remove_set(m_staging);  // the previous set, or the empty folder it replaced
  m_staging.clear();
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::filesystem::path p(path);
  const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  write_replacing(dir, p.filename().string(), content, false);
}

}  // namespace npu
