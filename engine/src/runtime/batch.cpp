// Group commit: the jobs of a batch are kept undoable until it commits;
// flush() hands the batch to the writer thread, on_committed() answers its
// calls (or undoes it) and starts the next.
#include "runtime/engine_impl.h"

namespace jointreview::runtime {

EngineImpl::Mark EngineImpl::mark() const { return {batch_.events.size(), new_timers_.size(), n_saved_}; }

void EngineImpl::undo_to(const Mark& m) {
  batch_.events.resize(m.events);
  batch_.inputs.resize(m.events);
  new_timers_.resize(m.timers);
  action_row_ = SIZE_MAX;
  restore_saved(m.saved);
  rebuild_heap();  // no heap entry may point at an instance that was dropped
}

// Puts back every instance saved from index `from` on, newest first.
void EngineImpl::restore_saved(std::size_t from) { restore(saved_, n_saved_, from); }

// Puts back the instances saved in `v` from index `from` on, newest first.
// Their checkpoint marks stay: an instance marked once is checkpointed
// once more, which is harmless; one unmarked too early would not be.
void EngineImpl::restore(std::vector<Saved>& v, std::size_t& n, std::size_t from) {
  while (n > from) {
    Saved& s = v[--n];
    Instance& in = *s.inst;
    s.inst = nullptr;
    if (s.is_new) {
      if (!in.key.empty()) keys_.erase(key_of(in.def->compiled->source->id, in.key));
      instances_.erase(in.id);  // destroys it
      continue;
    }
    in.rt = s.rt;
    in.timers = s.timers;
    in.finished = s.finished;
    in.last_second = s.last_second;
    in.round_notes = s.round_notes;
    in.version = s.version;
    in.claims = s.claims;
    in.batch_slot = -1;
  }
}

void EngineImpl::rethrow_pending() {
  if (auto err = std::exchange(pending_error_, nullptr)) std::rethrow_exception(err);
}

// Keeps a copy of the instance as it was before this batch touched it.
void EngineImpl::snapshot_before(Instance& in) {
  if (in.batch_slot >= 0) return;
  if (n_saved_ == saved_.size()) saved_.emplace_back();
  Saved& s = saved_[n_saved_];  // reused from batch to batch: no allocation once warm
  s.inst = &in;
  s.is_new = in.new_in_batch;
  if (!s.is_new) {
    s.rt = in.rt;
    s.timers = in.timers;
    s.finished = in.finished;
    s.last_second = in.last_second;
    s.round_notes = in.round_notes;
    s.version = in.version;
    s.claims = in.claims;
  }
  in.batch_slot = static_cast<std::int32_t>(n_saved_++);
  mark_ckpt(in);
}

// Hands everything recorded since the last flush to the writer thread,
// which commits it while this thread goes on with the next batch. Only
// one transaction is in flight: while it is, calls keep joining the next
// batch, which leaves when it completes (on_committed).
void EngineImpl::flush() {
  flush_posted_ = false;
  if (flight_.active) return;
  if (opt_.read_only) ckpt_list_.clear();  // a reader keeps what it replayed to itself
  const bool ckpt = !ckpt_list_.empty() && (force_ckpt_ || checkpoint_due());
  if (batch_.empty() && waiting_.empty() && n_saved_ == 0 && !ckpt) {
    force_ckpt_ = false;
    maybe_drained();
    arm_wake();
    return;
  }
  Flight& f = flight_;
  f.active = true;
  std::swap(f.batch, batch_);  // batch_ takes the emptied buffers of the last flight: no regrowing
  for (auto& [hash, w] : pending_wf_) f.batch.workflows.push_back(w);
  f.pending_wf = std::move(pending_wf_);
  pending_wf_.clear();
  for (auto& [id, c] : pending_cal_) f.batch.calendars.push_back(c);
  f.pending_cal = std::move(pending_cal_);
  pending_cal_.clear();
  f.undo_hooks = std::move(undo_hooks_);
  undo_hooks_.clear();
  if (ckpt) add_checkpoint(f.batch);  // in the same transaction
  force_ckpt_ = false;
  f.ckpt_written = std::move(ckpt_written_);
  ckpt_written_.clear();
  f.waiting = std::move(waiting_);
  waiting_.clear();
  std::swap(f.saved, saved_);
  f.n_saved = n_saved_;
  n_saved_ = 0;
  for (std::size_t i = 0; i < f.n_saved; ++i) {
    // The next batch keeps its own copy of what these were before it.
    f.saved[i].inst->batch_slot = -1;
    f.saved[i].inst->new_in_batch = false;
  }
  f.new_timers = std::move(new_timers_);
  new_timers_.clear();
  if (f.batch.empty()) {
    on_committed(nullptr);  // nothing to write (queries, refusal-free no-ops)
    return;
  }
  asio::post(writer_io_, [this] {
    std::exception_ptr err;
    try {
      store_->commit(flight_.batch);
    } catch (...) {
      err = std::current_exception();
    }
    asio::post(io_, [this, err] { on_committed(err); });
  });
}

// The transaction in flight has committed (err null) or failed.
void EngineImpl::on_committed(std::exception_ptr err) {
  Flight& f = flight_;
  if (!err) {
    if (!f.batch.events.empty()) last_seq_ = f.batch.events.back().seq;
    if (!f.batch.empty()) ++stats_.transactions;
    stats_.calls += f.waiting.size();
    stats_.events += f.batch.events.size();
    if (f.batch.checkpoint_seq) ++stats_.checkpoints;
    if (f.batch.checkpoint_seq) last_ckpt_ = std::chrono::steady_clock::now();
    for (auto& [hash, w] : f.pending_wf) stored_wf_.insert(hash);
    for (auto& [id, c] : f.pending_cal) {
      auto it = calendars_.find(id);
      if (it != calendars_.end() && it->second.record.version == c.version) it->second.stored = true;
    }
    for (auto& [inst, t] : f.new_timers) push_heap(inst, t);
  } else {
    // Nothing of it was written. What the next batch applied on top of it
    // goes first, then every instance it touched goes back to how it was.
    ++stats_.failed_transactions;
    for (Instance* in : f.ckpt_written) {
      mark_all_steps(*in);
      in->query_rows_written.clear();  // not written after all
    }
    std::exception_ptr later;
    try {
      std::rethrow_exception(err);
    } catch (const std::exception& x) {
      later = std::make_exception_ptr(
          Error(Error::Code::storage, std::string("not written: the transaction before it failed: ") + x.what()));
    } catch (...) {
      later = err;
    }
    clear_keeping_capacity(batch_);
    new_timers_.clear();
    action_row_ = SIZE_MAX;
    restore(saved_, n_saved_, 0);
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [hash, w] : pending_wf_) f.pending_wf.emplace(hash, w);
    pending_wf_.clear();
    restore(f.saved, f.n_saved, 0);
    for (auto it = undo_hooks_.rbegin(); it != undo_hooks_.rend(); ++it) (*it)();
    undo_hooks_.clear();
    for (auto it = f.undo_hooks.rbegin(); it != f.undo_hooks.rend(); ++it) (*it)();
    // Calendars first used by the failed batch are written with the next one.
    for (auto& [id, c] : f.pending_cal) {
      auto it = calendars_.find(id);
      if (it != calendars_.end() && !it->second.stored && it->second.record.version == c.version)
        pending_cal_.emplace(id, c);
    }
    for (auto& [hash, w] : f.pending_wf)
      if (!stored_wf_.count(hash)) defs_.erase(hash);
    rebuild_heap();
    for (auto& w : waiting) w(later);
  }
  for (std::size_t i = 0; i < f.n_saved; ++i) f.saved[i].inst = nullptr;
  f.n_saved = 0;
  f.pending_wf.clear();
  f.pending_cal.clear();
  f.undo_hooks.clear();
  f.new_timers.clear();
  std::vector<Instance*> written = std::move(f.ckpt_written);
  f.ckpt_written.clear();
  auto waiting = std::move(f.waiting);
  f.waiting.clear();
  f.active = false;
  for (auto& w : waiting) w(err);
  if (!err) unload_settled(written);  // their rows hold all of them now
  if (!err && !f.batch.events.empty())
    for (auto& [token, feed] : feeds_) feed->notify(last_seq_);
  if (!err)
    for (const auto& e : f.batch.events)
      for (auto& [token, fn] : subscribers_) {
        try {
          fn(e);
        } catch (...) {
          // A subscriber's failure never affects the engine.
        }
      }
  clear_keeping_capacity(f.batch);
  if (!batch_.empty() || !waiting_.empty() || n_saved_ > 0 || force_ckpt_ || checkpoint_due()) {
    flush();  // the next batch, formed while this one was written
    return;
  }
  schedule_checkpoint();
  maybe_drained();
  arm_wake();
}

void EngineImpl::clear_keeping_capacity(storage::Batch& b) {
  b.workflows.clear();
  b.calendars.clear();
  b.instances.clear();
  b.steps.clear();
  b.events.clear();
  b.inputs.clear();
  b.requests.clear();
  b.deployments.clear();
  b.checkpoint_seq.reset();
}

void EngineImpl::maybe_drained() {
  if (drain_ && !flight_.active && batch_.empty() && waiting_.empty() && n_saved_ == 0) {
    drain_->set_value();
    drain_ = nullptr;
  }
}

}  // namespace jointreview::runtime
