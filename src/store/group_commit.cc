#include "store/group_commit.h"

namespace itslog {

Result<std::vector<Result<AppendOutcome>>> GroupCommitter::Append(std::span<const Event> events) {
  Pending mine;
  mine.events = events;
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Lead: take what is queued (ours included, unless an earlier leader took it).
    leader_active_ = true;
    std::vector<Pending*> group;
    size_t n = 0;
    while (!queue_.empty() &&
           (group.empty() || n + queue_.front()->events.size() <= max_group_events_)) {
      n += queue_.front()->events.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    for (Pending* p : group) {
      p->done = true;
    }
    leader_active_ = false;
    cv_.notify_all();
  }
  return std::move(mine.result);
}

void GroupCommitter::CommitGroup(std::vector<Pending*>& group) {
  if (group.size() == 1) {
    group[0]->result = store_->Append(group[0]->events);
    return;
  }
  std::vector<Event> all;
  for (const Pending* p : group) {
    all.insert(all.end(), p->events.begin(), p->events.end());
  }
  Result<std::vector<Result<AppendOutcome>>> r = store_->Append(all);
  if (!r.ok()) {
    for (Pending* p : group) {
      p->result = r.status();
    }
    return;
  }
  size_t k = 0;
  for (Pending* p : group) {
    std::vector<Result<AppendOutcome>> mine;
    mine.reserve(p->events.size());
    for (size_t i = 0; i < p->events.size(); ++i) {
      mine.push_back(std::move(r.value()[k++]));
    }
    p->result = std::move(mine);
  }
}

DayStore::Health GroupCommitter::CheckHealth() {
  std::unique_lock<std::mutex> lock(mu_);
  // Wait for a quiet moment so the store is never used by two threads at once.
  cv_.wait(lock, [this] { return !leader_active_; });
  leader_active_ = true;
  lock.unlock();
  DayStore::Health h = store_->CheckHealth();
  lock.lock();
  leader_active_ = false;
  cv_.notify_all();
  return h;
}

}  // namespace itslog
