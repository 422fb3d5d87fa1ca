// Redis replies read without allocation once a thread's blocks are warm.
//
// hiredis builds every reply it reads as a tree of redisReply objects and copies each string into
// a buffer of its own: ten allocations for one pub/sub message, two for the answer to an XADD.
// holdfast's links read theirs with these functions instead. They build the same redisReply
// objects (hiredis's own pub/sub dispatch reads them as such), each with its string or element
// array in the same block, from blocks the thread keeps for reuse. hiredis frees each reply
// before it reads the next, so a few blocks of each size are all a thread ever keeps.
#pragma once

#include <cstddef>

struct redisReader;

namespace holdfast {

// Makes `reader` build its replies from the calling thread's blocks. A reply must be freed on the
// thread that read it, as a hiredis async context on one loop does.
void use_pooled_replies(redisReader* reader);

// Blocks the calling thread keeps for reuse, over every size.
size_t pooled_reply_blocks();

}  // namespace holdfast
