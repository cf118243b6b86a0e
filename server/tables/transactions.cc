// TransactionService (transactions.proto) over the `transactions` table.
#include "absl/strings/str_cat.h"
#include "defifundr/data/v1/transactions.pb.h"
#include "server/service.h"
#include "server/status.h"

namespace defifundr::server::tables {
namespace {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

// Compare-and-set of a transaction's status.
absl::Status UpdateTransactionStatus(Rpc& rpc,
                                     const UpdateTransactionStatusRequest& request,
                                     Transaction* response) {
  if (absl::Status s = Table::CheckFields(request, {"id", "status"}); !s.ok()) {
    return s;
  }
  const ParamSource sources[] = {{"", &request}};
  // One conditional UPDATE is the compare-and-set; when it matches no row,
  // a read tells a missing row from a status that differs.
  absl::Status s =
      rpc.FetchOne(queries::kUpdateTransactionStatus, sources, response);
  if (s.code() != absl::StatusCode::kNotFound) return s;
  Transaction current;
  absl::Status exists = rpc.FetchOne(queries::kGetTransaction, sources, &current);
  if (exists.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(
        absl::StrCat("Transaction ", request.id(), " not found"));
  }
  if (!exists.ok()) return exists;
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "status is ", TransactionStatus_Name(current.status()),
                        ", not the expected ",
                        TransactionStatus_Name(request.expected_status()))),
                    "STATUS_MISMATCH");
}

}  // namespace

const ServiceDeclaration& transactions() {
  static const auto* const declaration = new ServiceDeclaration{
      .table =
          {
              .service = Transaction::descriptor()->file()->FindServiceByName(
                  "TransactionService"),
              .entity = "Transaction",
              .plural = "Transactions",
              .table = "transactions",
              .time_column = "created_at",
              .immutable = {"user_id", "created_at", "updated_at"},
              .queries =
                  {
                      .create = queries::kCreateTransaction,
                      .get = queries::kGetTransaction,
                      .update = queries::kUpdateTransaction,
                      .delete_ = queries::kDeleteTransaction,
                      .list = queries::kListTransactions,
                      .count = queries::kCountTransactions,
                      .get_by_request_id = queries::kGetTransactionByRequestId,
                  },
              .methods =
                  {
                      {.name = "GetTransactionByTxHash",
                       .statement = queries::kGetTransactionByTxHash,
                       .kind = MethodKind::kOne,
                       .required = {"tx_hash"}},
                      {.name = "DeleteUserTransactions",
                       .statement = queries::kDeleteUserTransactions,
                       .kind = MethodKind::kAffected,
                       .required = {"user_id"}},
                  },
          },
      .custom = {
          Custom("UpdateTransactionStatus", &UpdateTransactionStatus,
                 {{queries::kUpdateTransactionStatus,
                   Transaction::descriptor(),
                   {UpdateTransactionStatusRequest::descriptor()},
                   {}}}),
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
