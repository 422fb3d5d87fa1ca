// The parts that the pools (BlockPool, ExactPool) share: a doubly linked list threaded through
// its nodes' own `prev` and `next` pointers, held by a pointer to its first node, for their lists
// of chunks and spans, which must not allocate; and a slab's slots, taken and given back.
#pragma once

#include <cstddef>

namespace holdfast::util {

// Puts `node` first in `list`.
template <typename Node>
void list_push(Node*& list, Node* node) {
  node->prev = nullptr;
  node->next = list;
  if (list != nullptr) list->prev = node;
  list = node;
}

// Takes `node`, which is in `list`, out of it.
template <typename Node>
void list_remove(Node*& list, Node* node) {
  if (node->prev != nullptr) {
    node->prev->next = node->next;
  } else {
    list = node->next;
  }
  if (node->next != nullptr) node->next->prev = node->prev;
  node->prev = node->next = nullptr;
}

// A slab keeps the slots given back in `free`, each holding the next one's address, and counts in
// `carved` those handed out at least once, from `first` on: the rest were never written. The
// caller knows that one is left.
template <typename Slab>
void* take_slot(Slab& slab, std::byte* first, size_t size) {
  if (void* slot = slab.free) {
    slab.free = *static_cast<void**>(slot);
    return slot;
  }
  return first + size_t{slab.carved++} * size;
}

template <typename Slab>
void give_slot(Slab& slab, void* slot) {
  *static_cast<void**>(slot) = slab.free;
  slab.free = slot;
}

}  // namespace holdfast::util
