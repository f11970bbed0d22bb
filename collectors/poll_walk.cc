// PollWalk: a plain walk folded into a poll-mode snapshot (see poll_walk.h).
#include "collectors/poll_walk.h"

#include <chrono>
#include <utility>

namespace zkx::collectors {

PollWalk::PollWalk(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns,
                   zk::ZnodeReader& reader, ValueTracker* values)
    : spec_(spec), reader_(reader), values_(values), builder_(spec, patterns), acl_audit_(spec) {}

const zk::WalkSummary& PollWalk::Walk(const std::function<void(const zk::WalkedZnode&)>& also) {
  summary_ = zk::WalkSubtree(reader_, spec_.root, spec_.limits, [&](const zk::WalkedZnode& z) {
    Visit(z);
    if (also) also(z);
  });
  return summary_;
}

zk::WalkJob PollWalk::Job() {
  return zk::WalkJob{&reader_, spec_.root, spec_.limits, [this](const zk::WalkedZnode& z) {
                       Visit(z);
                       return true;
                     }};
}

void PollWalk::Walked(zk::WalkSummary summary) {
  summary_ = std::move(summary);
}

void PollWalk::Visit(const zk::WalkedZnode& z) {
  builder_.Visit(z);
  acl_audit_.Add(z.path);
  if (values_ != nullptr) values_->Add(z.path, *z.stat);
}

bool PollWalk::ok() const {
  return summary_.status.ok() || summary_.status.code() == StatusCode::kNotFound;
}

std::shared_ptr<const SubtreeSnapshot> PollWalk::Finish() {
  if (finished_) return nullptr;
  finished_ = true;
  if (!ok()) {
    if (values_ != nullptr) values_->Abandon();
    return nullptr;
  }
  SubtreeSnapshot built = std::move(builder_).Finish(summary_, std::chrono::system_clock::now());
  built.acl = acl_audit_.Run(reader_);
  if (values_ != nullptr) built.values = values_->Finish(reader_);
  return std::make_shared<const SubtreeSnapshot>(std::move(built));
}

void PollWalk::Abandon() {
  if (finished_) return;
  finished_ = true;
  if (values_ != nullptr) values_->Abandon();
}

}  // namespace zkx::collectors
