// KycService (kyc.proto) over the `kyc` table.
#include "defifundr/data/v1/kyc.pb.h"
#include "server/service.h"

namespace defifundr::server::tables {

namespace queries = db::queries;

const ServiceDeclaration& kyc() {
  static const auto* const declaration = new ServiceDeclaration{
      .table = {
          .service = data::v1::Kyc::descriptor()->file()->FindServiceByName(
              "KycService"),
          .entity = "Kyc",
          .plural = "Kycs",
          .table = "kyc",
          .time_column = "created_at",
          .immutable = {"user_id", "created_at", "updated_at"},
          .queries =
              {
                  .create = queries::kCreateKyc,
                  .get = queries::kGetKyc,
                  .update = queries::kUpdateKyc,
                  .delete_ = queries::kDeleteKyc,
                  .list = queries::kListKycs,
                  .count = queries::kCountKycs,
              },
          .methods =
              {
                  {.name = "GetKycByUserId",
                   .statement = queries::kGetKycByUserId,
                   .kind = MethodKind::kOne,
                   .required = {"user_id"}},
              },
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
