#include "timeline.h"

namespace npu {

uint32_t Timeline::add_track(std::string name) {
  m_tracks.push_back(std::move(name));
  m_last_event_of_track.push_back(-1);
  return static_cast<uint32_t>(m_tracks.size() - 1);
}

uint32_t Timeline::intern(const std::string& label) {
  if (!m_enabled) return 0;  // nothing is recorded: no label is needed
  const auto [it, inserted] = m_label_index.emplace(label, static_cast<uint32_t>(m_labels.size()));
  if (inserted) m_labels.push_back(label);
  return it->second;
}

void Timeline::barrier() {
  for (int64_t& last : m_last_event_of_track) last = -1;
}

void Timeline::record(uint32_t track, uint32_t label, uint64_t start_ps, uint64_t end_ps) {
  if (!m_enabled || end_ps <= start_ps) return;
  int64_t& last = m_last_event_of_track[track];
  if (last >= 0) {
    TimelineEvent& e = m_events[static_cast<size_t>(last)];
    if (e.label == label && e.end_ps == start_ps) {
      e.end_ps = end_ps;
      return;
    }
  }
  m_events.push_back({track, label, start_ps, end_ps});
  last = static_cast<int64_t>(m_events.size() - 1);
}

}  // namespace npu
