// WaitlistService (waitlist.proto) over the `waitlist` table.
#include "defifundr/data/v1/waitlist.pb.h"
#include "server/service.h"

namespace defifundr::server::tables {

namespace queries = db::queries;

const ServiceDeclaration& waitlist() {
  static const auto* const declaration = new ServiceDeclaration{
      .table = {
          .service =
              data::v1::WaitlistEntry::descriptor()->file()->FindServiceByName(
                  "WaitlistService"),
          .entity = "WaitlistEntry",
          .plural = "WaitlistEntries",
          .table = "waitlist",
          .time_column = "signup_date",
          .immutable = {"signup_date", "created_at", "updated_at"},
          .queries =
              {
                  .create = queries::kCreateWaitlistEntry,
                  .get = queries::kGetWaitlistEntry,
                  .update = queries::kUpdateWaitlistEntry,
                  .delete_ = queries::kDeleteWaitlistEntry,
                  .list = queries::kListWaitlistEntries,
                  .count = queries::kCountWaitlistEntries,
                  .list_desc = queries::kListWaitlistEntriesDesc,
              },
          .methods =
              {
                  {.name = "GetWaitlistEntryByEmail",
                   .statement = queries::kGetWaitlistEntryByEmail,
                   .kind = MethodKind::kOne,
                   .required = {"email"}},
                  {.name = "GetWaitlistEntryByReferralCode",
                   .statement = queries::kGetWaitlistEntryByReferralCode,
                   .kind = MethodKind::kOne,
                   .required = {"referral_code"}},
                  {.name = "GetWaitlistPosition",
                   .statement = queries::kGetWaitlistPosition,
                   .kind = MethodKind::kOne,
                   .required = {"id"}},
                  {.name = "SearchWaitlist",
                   .statement = queries::kSearchWaitlist,
                   .kind = MethodKind::kPage,
                   .required = {"query"},
                   .count_statement = queries::kCountSearchWaitlist,
                   .search = true},
                  {.name = "GetWaitlistStatsBySource",
                   .statement = queries::kGetWaitlistStatsBySource,
                   .kind = MethodKind::kAll},
                  {.name = "GetWaitlistStatsByStatus",
                   .statement = queries::kGetWaitlistStatsByStatus,
                   .kind = MethodKind::kAll},
              },
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
