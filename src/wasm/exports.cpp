// The C ABI that JavaScript calls. No logic lives here: each export hands bytes to
// emma::Engine and keeps its answer until the next call on the same session.
//
// Memory ownership (the one place it is defined; js-bindings/src/boundary.js follows it):
//  - JS allocates input buffers with emma_alloc, passes them to emma_call, and frees them
//    with emma_free after the call returns, on success and on error alike.
//  - The answer (JSON text, and bytes for some ops) is owned by the session and stays valid
//    until the next emma_call or emma_session_destroy on that session; JS copies it out.
//  - A session is created by emma_session_create and freed by emma_session_destroy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <new>

#include "../core/engine.hpp"

namespace {

struct Session {
  emma::Engine engine;
  emma::Response last;
};

}  // namespace

extern "C" {

void* emma_alloc(std::size_t size) { return std::malloc(size == 0 ? 1 : size); }

void emma_free(void* ptr) { std::free(ptr); }

Session* emma_session_create() {
  try {
    return new Session();
  } catch (...) {
    return nullptr;
  }
}

void emma_session_destroy(Session* session) { delete session; }

// Returns 0 when the answer is a result, 1 when it is an error, 2 when there is no session.
int emma_call(Session* session, const char* request, std::size_t request_len, const std::uint8_t* bytes,
              std::size_t bytes_len) {
  if (session == nullptr) return 2;
  try {
    session->last = emma::Response();  // release the previous answer first
    session->last = session->engine.handle(std::string_view(request, request_len), bytes, bytes_len);
  } catch (...) {
    session->last.json = R"({"error":{"code":"OUT_OF_MEMORY","message":"the engine ran out of memory"}})";
    session->last.bytes.clear();
    return 1;
  }
  return session->last.json.rfind(R"({"error")", 0) == 0 ? 1 : 0;
}

const char* emma_answer_json(Session* s) { return s->last.json.data(); }
std::size_t emma_answer_json_len(Session* s) { return s->last.json.size(); }
const std::uint8_t* emma_answer_bytes(Session* s) { return s->last.bytes.data(); }
std::size_t emma_answer_bytes_len(Session* s) { return s->last.bytes.size(); }

// Bytes the allocator has handed out and not yet taken back: tests use it to prove the
// boundary does not leak.
std::size_t emma_heap_in_use() { return static_cast<std::size_t>(mallinfo().uordblks); }

}  // extern "C"
