// Report folders replaced as a whole. The files of one run (ops.csv, summary.json, trace.json)
// belong together: a reader must never find the summary of one run beside the ops of another, nor
// a trace.json left over from an earlier run that recorded a timeline.
//
// So a run writes its files, and a manifest naming them (kManifestName), into a fresh staging
// folder beside the output folder (`.<name>.npusim-<pid>-<16 random hex digits>`, made with an
// exclusive mkdir, on the same file system; the manifest names each file before it is written),
// syncs them, and swaps the staging folder in for the output folder with one rename: renameat2's
// RENAME_EXCHANGE when the output folder exists, a plain rename when it does not. At every
// instant the output folder's path names a complete set, the previous one or the new one, so a
// run stopped at any point (SIGINT, SIGTERM, SIGKILL, a power cut after the sync) leaves the
// previous set in place and at worst a hidden staging folder beside it, which the next run into
// the same folder removes (only folders named as npusim names them, owned by the user, and in
// them only the files their manifest lists). After the swap the previous set, now at the staging
// name, is deleted (only the files its manifest lists, then the folder). On a file system without
// RENAME_EXCHANGE the swap is two renames, and a stop between them leaves the previous set at
// the staging name instead of the output path.
//
// npusim replaces only what it wrote: the output folder must not exist, be empty, or hold exactly
// a previous set (its manifest and files the manifest lists). A folder holding anything else is
// refused before anything is simulated (check_output_folder: ConfigError, exit status 2) unless
// forced. Forced, the set is written into the folder in place, file by file, each file atomically
// (made in a staging folder inside the output folder, named as above, and renamed into place
// when complete: a symbolic link planted in the folder is never written through) and the
// manifest last; the folder's other entries stay, the files of a previous set that the new one
// lacks are removed (they are listed in its manifest); until the manifest is written the folder
// mixes the two runs' files. A forced run stopped midway leaves its staging folder, with the
// files it had not finished, which the next forced run into the folder removes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace npu {

/// Text written as it is produced: writers append to buf() and call row_done() after each
/// record; the buffer goes to the file whenever it holds kFlushBytes, so a report of a million
/// rows never sits in memory whole. Without a file (the default) the text stays in buf().
class TextSink {
 public:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  TextSink();
  TextSink(int fd, std::string path);
  ~TextSink();
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;

  std::string& buf() { return m_buf; }
  void row_done() {
    if (m_fd >= 0 && m_buf.size() >= kFlushBytes) flush();
  }
  /// Writes what is buffered (a no-op without a file).
  void flush();
  /// Writes `text` after what is buffered, straight to the file (no copy in the buffer).
  void write_direct(const std::string& text);
  /// From here on the file is gzip-compressed (zlib's gzip format, as `gzip` writes it): call
  /// before anything is written. Only with a file.
  void gzip();
  /// Writes what is buffered and ends the file's compressed stream, if any.
  void finish();

 private:
  struct Deflate;
  /// Writes `size` bytes of text to the file, compressed when gzip() was called.
  void put(const char* data, size_t size);
  int m_fd = -1;
  std::string m_path;
  std::string m_buf;
  std::unique_ptr<Deflate> m_deflate;
};

/// The manifest of a report folder: {"npusim": version, "files": [names]}.
inline constexpr const char* kManifestName = ".npusim-manifest.json";

/// Checks that `dir` can take a new set of reports: it is absent, an empty folder, a previous
/// set, or `force` is given and it is a folder. Throws ConfigError (bad input: exit status 2)
/// naming the entries npusim did not write; std::runtime_error when `dir` is not a folder.
void check_output_folder(const std::string& dir, bool force);

/// Creates a new file in `dir` named `prefix` and 16 random hex digits, with O_CREAT | O_EXCL |
/// O_NOFOLLOW (never an existing file, never through a symbolic link: a name someone planted is
/// skipped); returns its path, `fd` open for writing. Throws std::runtime_error on failure.
std::string create_unique_file(const std::string& dir, const std::string& prefix, int& fd);

/// Writes `content` to `dir`/`name` atomically: into a new file of create_unique_file(), synced
/// when `sync`, then renamed over `name` (a link at `name` is replaced, never written through).
void write_replacing(const std::string& dir, const std::string& name, const std::string& content,
                     bool sync = true);

/// One file of a report set open for writing in pieces (OutputSet::open): write into sink(),
/// then close(), which finishes, syncs and closes it (and, written beside its name, renames it
/// over that name). Destroyed unclosed, the file is closed and, beside its name, removed.
class OutputFile {
 public:
  /// `path` open as `fd`; `final_path`: the name it replaces on close(), or "" (it has it);
  /// `sync`: synced to disk on close(); `open_count`, if given, counts it while it is open.
  OutputFile(int fd, std::string path, std::string final_path, bool sync = true,
             int* open_count = nullptr);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  TextSink& sink() { return m_sink; }
  void close();
  /// What `produce` writes into the sink, then close().
  void write(const std::function<void(TextSink&)>& produce) {
    produce(m_sink);
    close();
  }

 private:
  int m_fd;
  std::string m_path, m_final;
  bool m_sync;
  int* m_open_count;
  TextSink m_sink;
};

/// The files of one run, written into a staging folder as they come and swapped in for the
/// output folder by commit(). Destroyed without commit(), it removes the staging folder and
/// leaves the output folder as it was.
class OutputSet {
 public:
  /// Checks `dir` (check_output_folder) and creates its parents and the staging folder.
  explicit OutputSet(std::string dir, bool force = false);
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  /// Writes one file of the set (a plain name, no folders).
  void write(const std::string& name, const std::string& content);
  /// Writes one file of the set as `produce` writes it into the sink, in pieces.
  void write(const std::string& name, const std::function<void(TextSink&)>& produce);
  /// Opens one file of the set to be written in pieces while other files are written (a
  /// streamed run's per-op reports); it must be closed before commit() and not outlive the set.
  std::unique_ptr<OutputFile> open(const std::string& name);
  /// A scratch file for the run, read and written, with no name (O_TMPFILE in the staging
  /// folder, or a name unlinked at once where the file system has no O_TMPFILE): gone when
  /// closed, whatever happens. The caller closes the descriptor.
  int open_scratch();
  /// Writes the manifest and replaces the output folder's set with this one.
  void commit();

  const std::string& dir() const { return m_dir; }

 private:
  /// Rewrites the staging folder's manifest (a temporary in that folder, then a rename).
  void write_manifest_in_staging(const std::vector<std::string>& files, bool sync);

  std::string m_dir;      ///< the output folder (symbolic links resolved)
  std::string m_staging;  ///< where the files are written (forced: until each is complete)
  bool m_force = false;
  bool m_committed = false;
  int m_open = 0;  ///< files open()ed and not closed
  std::vector<std::string> m_files;
};

/// Writes `content` to `path` atomically (a new file of an unpredictable name in the same folder,
/// created O_EXCL | O_NOFOLLOW, then a rename; a link at `path` is replaced, not written
/// through). Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace npu
