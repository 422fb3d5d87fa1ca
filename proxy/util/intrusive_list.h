// A doubly linked list threaded through its nodes' own `prev` and `next` pointers, held by a
// pointer to its first node: for the pools' lists of chunks and spans, which must not allocate.
#pragma once

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

}  // namespace holdfast::util
