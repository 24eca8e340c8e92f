// GroupCommitter: lets several request threads of one worker share a transaction. A thread
// that arrives while no commit is running becomes the leader and commits everything queued so
// far in one DayStore::Append; the others wait for its result. Every caller still returns only
// after its events are committed (or have failed).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

#include "store/day_store.h"

namespace itslog {

class GroupCommitter {
 public:
  // store must outlive this object and is used only by it (and only by one thread at a time).
  // max_group_events bounds how many events one transaction gathers.
  explicit GroupCommitter(DayStore* store, size_t max_group_events = 8192)
      : store_(store), max_group_events_(max_group_events) {}

  // As DayStore::Append, for these events alone: per-event outcomes, or a whole failure
  // (which then applies to every request of the group: nothing of the group was stored).
  // Thread-safe; blocks until the commit that holds these events is done.
  Result<std::vector<Result<AppendOutcome>>> Append(std::span<const Event> events);

  // DayStore::CheckHealth, serialised with the commits.
  DayStore::Health CheckHealth();

 private:
  struct Pending {
    std::span<const Event> events;
    Result<std::vector<Result<AppendOutcome>>> result = InternalError("not committed");
    bool done = false;
  };
  void CommitGroup(std::vector<Pending*>& group);

  DayStore* store_;
  size_t max_group_events_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool leader_active_ = false;
};

}  // namespace itslog
