// SecurityEventService (security_events.proto) over `security_events`.
#include "defifundr/data/v1/security_events.pb.h"
#include "server/service.h"

namespace defifundr::server::tables {

namespace queries = db::queries;

const ServiceDeclaration& security_events() {
  static const auto* const declaration = new ServiceDeclaration{
      .table = {
          .service =
              data::v1::SecurityEvent::descriptor()->file()->FindServiceByName(
                  "SecurityEventService"),
          .entity = "SecurityEvent",
          .plural = "SecurityEvents",
          .table = "security_events",
          .time_column = "timestamp",
          .immutable = {"user_id", "timestamp"},
          .queries =
              {
                  .create = queries::kCreateSecurityEvent,
                  .get = queries::kGetSecurityEvent,
                  .update = queries::kUpdateSecurityEvent,
                  .delete_ = queries::kDeleteSecurityEvent,
                  .list = queries::kListSecurityEvents,
                  .count = queries::kCountSecurityEvents,
                  .list_desc = queries::kListSecurityEventsDesc,
              },
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
