#pragma once
// OwningList<T>: a doubly linked list that owns its elements through links they carry (the members
// `T* list_prev` and `T* list_next`, which only the list touches). Adding and removing an element allocate
// nothing and hash nothing, unlike a map from pointer to unique_ptr; that matters for a registry every
// request of a walk passes through (zk::Session's requests in flight, tens of thousands a second).
//
// Remove(t) takes t out and hands it back; t must be in this list or in none (then it returns null). The
// destructor frees what is left. Not thread-safe: the owner serialises every call.

#include <cstddef>
#include <memory>
#include <vector>

namespace zkx {

template <typename T>
class OwningList {
 public:
  OwningList() = default;
  OwningList(const OwningList&) = delete;
  OwningList& operator=(const OwningList&) = delete;  // and not movable: nothing needs it
  ~OwningList() { Clear(); }

  // Takes ownership of `t` (not null, in no list).
  void Add(std::unique_ptr<T> t) {
    T* raw = t.release();
    raw->list_prev = nullptr;
    raw->list_next = head_;
    if (head_ != nullptr) head_->list_prev = raw;
    head_ = raw;
    ++size_;
  }

  // Hands `t` back to the caller; null if it is in no list.
  std::unique_ptr<T> Remove(T* t) {
    if (t->list_prev == nullptr && head_ != t) return nullptr;
    if (t->list_prev != nullptr) {
      t->list_prev->list_next = t->list_next;
    } else {
      head_ = t->list_next;
    }
    if (t->list_next != nullptr) t->list_next->list_prev = t->list_prev;
    t->list_prev = nullptr;
    t->list_next = nullptr;
    --size_;
    return std::unique_ptr<T>(t);
  }

  // Empties the list into the caller's hands.
  std::vector<std::unique_ptr<T>> TakeAll() {
    std::vector<std::unique_ptr<T>> all;
    all.reserve(size_);
    while (head_ != nullptr) all.push_back(Remove(head_));
    return all;
  }

  [[nodiscard]] bool empty() const { return head_ == nullptr; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  void Clear() {
    while (head_ != nullptr) Remove(head_);  // each returned unique_ptr frees its element
  }

  T* head_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace zkx
