// Pagination helpers of the DefiFundr data client: walk every page of any
// List or Search method (AIP-158: `page_token` in the request,
// `next_page_token` in the response, one repeated field of rows), as a range
// or with a callback.
//
//   using defifundr::data::v1::User;
//   using defifundr::data::v1::UserService;
//   defifundr::data::v1::ListUsersRequest request;
//   request.set_page_size(500);
//
//   // Range: check status() after the loop.
//   auto users = defifundr::client::Paginate<User>(
//       client, &UserService::Stub::ListUsers, request);
//   for (const User& user : users) Use(user);
//   if (!users.status().ok()) HandleError(users.status());
//
//   // Callback: return false to stop early (the result is then OK).
//   grpc::Status status = defifundr::client::ForEach<User>(
//       client, &UserService::Stub::SearchUsers, search_request,
//       [](const User& user) { Use(user); });
//
// Each page is one call with its own context from Client::NewContext(), so
// with its own deadline of ClientOptions::default_timeout; a walk as a whole
// has no deadline. Pages are fetched lazily, one at a time, as the walk
// reaches them; the keyset pagination of the service returns every row that
// existed when the walk started exactly once, even while rows are inserted.
//
// Status codes (Pager::status() and ForEach's result):
//   OK                 every page was read (or the callback stopped the walk)
//   INVALID_ARGUMENT   the response type has no repeated field of type Item,
//                      or more than one (no call is made); or the service
//                      rejected the request: a bad filter, page_size < 0, a
//                      page_token that is malformed or was issued for another
//                      filter
//   INTERNAL           the service returned a next_page_token equal to the
//                      page_token it was given (the walk would never end)
//   any other code     the first failed page's status as the stub returned
//                      it, e.g. UNAVAILABLE (after the channel's retries),
//                      DEADLINE_EXCEEDED (that page's deadline passed)
// A failed walk stops at the failing page; the rows of the pages before it
// have been delivered.
//
// Thread-safety: a Pager is used by one thread at a time (it holds the
// current page); do not move it while iterating. The Client it was made
// from must outlive it. Different pagers over one Client may run
// concurrently.
#ifndef DEFIFUNDR_CLIENT_PAGER_H_
#define DEFIFUNDR_CLIENT_PAGER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "client/client.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace defifundr::client {

/// One page call with the signature of a generated blocking unary stub
/// method, bound to its stub.
template <typename Request, typename Response>
using PageCall = std::function<grpc::Status(grpc::ClientContext*,
                                            const Request&, Response*)>;

/// Makes the context of one page call (and so sets its deadline).
using ContextFactory = std::function<std::unique_ptr<grpc::ClientContext>()>;

/// An input range over the `Item` rows of every page of one List or Search
/// method, starting at `request` (its page_token, if set, is where the walk
/// starts; its page_size and filters apply to every page). Iterate it once;
/// afterwards status() tells whether the walk ended at the last page.
///
/// `Response` must have exactly one repeated field of message type `Item`
/// and a `next_page_token` string; `Request` a `page_token` string.
template <typename Item, typename Request, typename Response>
class Pager {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Item;
    using difference_type = std::ptrdiff_t;
    using pointer = const Item*;
    using reference = const Item&;

    iterator() = default;
    reference operator*() const { return pager_->Current(); }
    pointer operator->() const { return &pager_->Current(); }
    /// Moves to the next row, fetching the next page when this one is done.
    iterator& operator++() {
      if (!pager_->Next()) pager_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.pager_ == b.pager_;
    }

   private:
    friend class Pager;
    explicit iterator(Pager* pager) : pager_(pager) {}
    Pager* pager_ = nullptr;  // nullptr: the end.
  };

  /// `call` fetches one page; `new_context` makes each call's context.
  Pager(ContextFactory new_context, PageCall<Request, Response> call,
        Request request)
      : new_context_(std::move(new_context)),
        call_(std::move(call)),
        request_(std::move(request)) {}
  Pager(const Pager&) = delete;
  Pager& operator=(const Pager&) = delete;
  Pager(Pager&&) = default;
  Pager& operator=(Pager&&) = default;

  /// Fetches the first page (the first time) and returns an iterator at the
  /// first row; equal to end() when there is none or the call failed.
  /// Calling it again returns the current position.
  iterator begin() {
    if (!started_) {
      started_ = true;
      if (!FindItemsField() || !Fill()) done_ = true;
    }
    return done_ ? end() : iterator(this);
  }
  iterator end() { return iterator(); }

  /// OK until a page call fails; then that failure (see the file comment
  /// for the codes).
  const grpc::Status& status() const { return status_; }
  /// Page calls made so far.
  int pages() const { return pages_; }
  /// The page_token the walk would resume from: the token of the page being
  /// read (empty for the first page).
  const std::string& page_token() const { return request_.page_token(); }

 private:
  bool FindItemsField() {
    const google::protobuf::Descriptor* d = Response::descriptor();
    int found = 0;
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      if (f->is_repeated() &&
          f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
          f->message_type() == Item::descriptor()) {
        items_ = f;
        ++found;
      }
    }
    if (found == 1) return true;
    status_ = grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        d->full_name() + (found == 0 ? " has no" : " has more than one") +
            " repeated field of type " + Item::descriptor()->full_name());
    return false;
  }

  int PageSize() const {
    return response_.GetReflection()->FieldSize(response_, items_);
  }

  const Item& Current() const {
    // The field's type was checked against Item::descriptor().
    return static_cast<const Item&>(
        response_.GetReflection()->GetRepeatedMessage(response_, items_,
                                                      index_));
  }

  bool Next() {
    if (done_) return false;
    ++index_;
    if (!Fill()) done_ = true;
    return !done_;
  }

  // Ensures index_ names a row, fetching pages (skipping empty ones) as
  // needed. False at the end of the last page or on a failure (status_).
  bool Fill() {
    while (index_ >= PageSize()) {
      if (pages_ > 0) {
        const std::string& next = response_.next_page_token();
        if (next.empty()) return false;
        if (next == request_.page_token()) {
          status_ = grpc::Status(grpc::StatusCode::INTERNAL,
                                 "the service returned the page_token it was "
                                 "given as next_page_token");
          return false;
        }
        request_.set_page_token(next);
      }
      response_.Clear();
      index_ = 0;
      std::unique_ptr<grpc::ClientContext> context = new_context_();
      grpc::Status status = call_(context.get(), request_, &response_);
      ++pages_;
      if (!status.ok()) {
        response_.Clear();
        status_ = std::move(status);
        return false;
      }
    }
    return true;
  }

  ContextFactory new_context_;
  PageCall<Request, Response> call_;
  Request request_;
  Response response_;
  const google::protobuf::FieldDescriptor* items_ = nullptr;
  int index_ = 0;
  int pages_ = 0;
  bool started_ = false;
  bool done_ = false;
  grpc::Status status_;
};

/// A Pager over `method` of the client's stub for that service, e.g.
/// `Paginate<User>(client, &UserService::Stub::ListUsers, request)`. Each
/// page call uses client.NewContext(). `client` must outlive the pager.
template <typename Item, typename Stub, typename Request, typename Response>
Pager<Item, Request, Response> Paginate(
    const Client& client,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    std::type_identity_t<Request> request) {
  Stub* stub = &client.stub<Stub>();
  return Pager<Item, Request, Response>(
      [&client] { return client.NewContext(); },
      [stub, method](grpc::ClientContext* context, const Request& req,
                     Response* resp) {
        return (stub->*method)(context, req, resp);
      },
      std::move(request));
}

/// Calls `fn(const Item&)` for every row of every page of `pager`, in order.
/// `fn` may return bool: false stops the walk (the result is then OK); or
/// void. Returns pager.status() otherwise (see the file comment).
template <typename Item, typename Request, typename Response, typename Fn>
[[nodiscard]] grpc::Status ForEach(Pager<Item, Request, Response>& pager,
                                   Fn&& fn) {
  for (const Item& item : pager) {
    if constexpr (std::is_same_v<std::invoke_result_t<Fn&, const Item&>,
                                 bool>) {
      if (!fn(item)) return grpc::Status::OK;
    } else {
      fn(item);
    }
  }
  return pager.status();
}

/// ForEach over Paginate<Item>(client, method, request).
template <typename Item, typename Stub, typename Request, typename Response,
          typename Fn>
[[nodiscard]] grpc::Status ForEach(
    const Client& client,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    std::type_identity_t<Request> request, Fn&& fn) {
  auto pager = Paginate<Item>(client, method, std::move(request));
  return ForEach(pager, std::forward<Fn>(fn));
}

}  // namespace defifundr::client

#endif  // DEFIFUNDR_CLIENT_PAGER_H_
