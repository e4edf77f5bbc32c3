// A record of what each block did and when, for the Perfetto/Chrome trace. Blocks append
// intervals; adjacent intervals with the same track and label are merged so a long stream of
// back-to-back grants costs one entry.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace npu {

struct TimelineEvent {
  uint32_t track;  ///< index into Timeline::tracks
  uint32_t label;  ///< index into Timeline::labels
  uint64_t start_ps;
  uint64_t end_ps;
};

class Timeline {
 public:
  explicit Timeline(bool enabled = true) : m_enabled(enabled) {}
  uint32_t add_track(std::string name);
  /// The id of `label` (0 for every label when the timeline is disabled).
  uint32_t intern(const std::string& label);
  void record(uint32_t track, uint32_t label, uint64_t start_ps, uint64_t end_ps);
  bool enabled() const { return m_enabled; }
  const std::vector<std::string>& tracks() const { return m_tracks; }
  const std::vector<std::string>& labels() const { return m_labels; }
  const std::vector<TimelineEvent>& events() const { return m_events; }
  /// For a schedule that moves recorded work in time afterwards (sim/scheduler.cpp).
  std::vector<TimelineEvent>& mutable_events() { return m_events; }
  /// Later events are not merged into earlier ones (so each op's events stay its own).
  void barrier();

 private:
  bool m_enabled;
  std::vector<std::string> m_tracks;
  std::vector<std::string> m_labels;
  std::unordered_map<std::string, uint32_t> m_label_index;
  std::vector<TimelineEvent> m_events;
  std::vector<int64_t> m_last_event_of_track;  ///< for merging, -1 = none
};

}  // namespace npu
