// Request and response messages of a callback method on one protobuf Arena
// per call, so that a response of many rows (a List page) costs a few block
// allocations instead of one per message and field, and is freed at once.
#ifndef DEFIFUNDR_SERVER_ARENA_ALLOCATOR_H_
#define DEFIFUNDR_SERVER_ARENA_ALLOCATOR_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace defifundr::server {

/// For Service::SetMessageAllocatorFor_<Method>(). Thread-safe; one
/// instance per message pair serves every call (Instance()).
template <typename Request, typename Response>
class ArenaAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  /// The process-wide allocator of this message pair.
  static ArenaAllocator* Instance() {
    static auto* instance = new ArenaAllocator();
    return instance;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder();
  }

 private:
  // The call's arena (its first block inline: most calls need no other)
  // and the two messages on it. gRPC releases it when the call is done.
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options(initial_block_, sizeof(initial_block_))) {
      this->set_request(
          google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options(char* block, size_t size) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = size;
      return options;
    }
    alignas(8) char initial_block_[8192];
    google::protobuf::Arena arena_;
  };
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_ARENA_ALLOCATOR_H_
