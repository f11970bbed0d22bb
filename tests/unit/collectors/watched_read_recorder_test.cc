// WatchedReadRecorder: what a watch-mode sync's watched reads may have left armed (collectors/
// watched_read_recorder.h), driven the way the sync's walk drives it: for each znode a WatchExists, then a
// WatchChildren2 of the same path, and Visited(path) once the walk has the listing.
#include "collectors/watched_read_recorder.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/fake_znode_tree.h"

namespace zkx::collectors {
namespace {

using test::FakeZnodeTree;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The walk's two watched reads of one znode; counts the answers.
void ReadWatched(zk::ZnodeReader& reader, const std::string& path, int* answered) {
  reader.WatchExists(path, [answered](const Status&, const zk::ZnodeStat&) { ++*answered; });
  reader.WatchChildren2(path, [answered](const Status&, const zk::ChildrenResult&) { ++*answered; });
}

TEST(WatchedReadRecorderTest, UnvisitedAreTheReadsTheWalkDidNotAccountFor) {
  FakeZnodeTree tree(FakeZnodeTree::Answer::kHold);
  for (const char* path : {"/a", "/b", "/c"}) tree.Create(path);
  WatchedReadRecorder recorder(&tree);
  int answered = 0;
  for (const char* path : {"/c", "/a", "/b"}) ReadWatched(recorder, path, &answered);
  EXPECT_EQ(tree.requests(FakeZnodeTree::Op::kWatchExists), 3);  // forwarded, each once
  EXPECT_EQ(tree.requests(FakeZnodeTree::Op::kWatchChildren), 3);
  tree.ReleaseHeld();
  EXPECT_EQ(answered, 6);
  recorder.Visited("/a");
  EXPECT_THAT(recorder.TakeUnvisited(), ElementsAre("/b", "/c"));  // sorted, each once
  EXPECT_THAT(recorder.TakeUnvisited(), IsEmpty());                // taken: forgotten
  EXPECT_THAT(recorder.TakeNotFound(), IsEmpty());
  // Visited before the reads are answered (a listing the walk already holds) counts too.
  ReadWatched(recorder, "/a", &answered);
  recorder.Visited("/a");
  tree.ReleaseHeld();
  EXPECT_THAT(recorder.TakeUnvisited(), IsEmpty());
}

TEST(WatchedReadRecorderTest, AMissingZnodeIsRecordedNotFoundOnce) {
  FakeZnodeTree tree;
  tree.Create("/here");
  WatchedReadRecorder recorder(&tree);
  int answered = 0;
  ReadWatched(recorder, "/gone", &answered);  // both reads answer kNotFound; the exists-watch stays
  ReadWatched(recorder, "/here", &answered);
  recorder.Visited("/here");
  EXPECT_EQ(answered, 4);
  EXPECT_TRUE(tree.HasDataWatch("/gone"));
  EXPECT_THAT(recorder.TakeNotFound(), ElementsAre("/gone"));
  EXPECT_THAT(recorder.TakeNotFound(), IsEmpty());
  EXPECT_THAT(recorder.TakeUnvisited(), ElementsAre("/gone"));
}

TEST(WatchedReadRecorderTest, PlainReadsAreForwardedAndNotRecorded) {
  FakeZnodeTree tree;
  WatchedReadRecorder recorder(&tree);
  int answered = 0;
  recorder.GetChildren2("/missing", [&](const Status& s, const zk::ChildrenResult&) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    ++answered;
  });
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(tree.requests(FakeZnodeTree::Op::kGetChildren), 1);
  EXPECT_THAT(recorder.TakeNotFound(), IsEmpty());
  EXPECT_THAT(recorder.TakeUnvisited(), IsEmpty());
}

TEST(WatchedReadRecorderTest, LateAnswersAfterTheRecorderIsGoneAreSafe) {
  FakeZnodeTree tree(FakeZnodeTree::Answer::kHold);
  int answered = 0;
  {
    auto recorder = std::make_unique<WatchedReadRecorder>(&tree);
    ReadWatched(*recorder, "/gone", &answered);  // a walk that gave up: its replies come later
  }
  EXPECT_EQ(tree.ReleaseHeld(), 2u);  // the callbacks record into the shared record, then answer
  EXPECT_EQ(answered, 2);
}

}  // namespace
}  // namespace zkx::collectors
