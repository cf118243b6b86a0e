// UserWalletService (user_wallets.proto) over the `user_wallets` table.
#include "defifundr/data/v1/user_wallets.pb.h"
#include "server/service.h"

namespace defifundr::server::tables {

namespace queries = db::queries;

const ServiceDeclaration& user_wallets() {
  static const auto* const declaration = new ServiceDeclaration{
      .table = {
          .service =
              data::v1::UserWallet::descriptor()->file()->FindServiceByName(
                  "UserWalletService"),
          .entity = "UserWallet",
          .plural = "UserWallets",
          .table = "user_wallets",
          .time_column = "created_at",
          .immutable = {"user_id", "created_at", "updated_at"},
          .queries =
              {
                  .create = queries::kCreateUserWallet,
                  .get = queries::kGetUserWallet,
                  .update = queries::kUpdateUserWallet,
                  .delete_ = queries::kDeleteUserWallet,
                  .list = queries::kListUserWallets,
                  .count = queries::kCountUserWallets,
              },
          .methods =
              {
                  {.name = "GetWalletByAddress",
                   .statement = queries::kGetWalletByAddress,
                   .kind = MethodKind::kOne,
                   .required = {"address"}},
              },
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
