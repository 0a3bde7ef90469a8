#include "store/invoice_migration.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_util.h"
#include "store/invoice_store.h"
#include "store/statement.h"

namespace meter::store {
namespace {

using nlohmann::json;

struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Version 1 wrote fractional quantities through a double: a decimal of up
// to 15 significant digits could come out longer (3328.3250629999998).
// Such a literal is replaced by the 15-digit decimal that reads back as the
// same double, which is the decimal that was written; other literals stay.
void RepairDoubleDigits(json& j) {
  if (j.is_structured()) {
    for (auto& v : j) RepairDoubleDigits(v);
    return;
  }
  if (!IsRawNumber(j)) return;
  const auto& bytes = j.get_binary();
  std::string literal(bytes.begin(), bytes.end());
  if (SignificantDigits(literal) <= 15) return;
  double d = std::strtod(literal.c_str(), nullptr);
  if (!std::isfinite(d)) return;
  char shorter[64];
  std::snprintf(shorter, sizeof shorter, "%.15g", d);
  if (std::strtod(shorter, nullptr) != d) return;
  auto exact = ParseDecimalNumberText(shorter);
  if (exact.ok()) j = JsonNumber(*exact);
}

std::string Text(const json& doc, const char* key) {
  if (!doc.contains(key) || doc.at(key).is_null()) return "";
  return doc.at(key).get<std::string>();
}

std::string DecimalText(const json& v) {
  auto d = DecimalFromJson(v);
  if (!d.ok()) throw Unreadable(d.status().message());
  return d->ToString();
}

Timestamp Time(const json& doc, const char* key) {
  auto t = ParseRfc3339(doc.at(key).get<std::string>());
  if (!t.ok()) throw Unreadable(t.status().message());
  return *t;
}

// The line columns of version 2; every other key of a version-1 line goes
// to its attributes.
constexpr const char* kLineColumns[] = {"kind", "description", "meter", "plan", "period_start",
                                        "period_end", "quantity", "unit_price", "amount"};

InvoiceLineRecord LineFrom(json line) {
  InvoiceLineRecord l;
  l.kind = line.at("kind").get<std::string>();
  l.description = Text(line, "description");
  l.meter = Text(line, "meter");
  l.plan = Text(line, "plan");
  l.period = {Time(line, "period_start"), Time(line, "period_end")};
  l.quantity = DecimalText(line.at("quantity"));
  if (line.contains("unit_price") && !line.at("unit_price").is_null()) l.unit_price = DecimalText(line.at("unit_price"));
  l.amount = DecimalText(line.at("amount"));
  for (const char* key : kLineColumns) line.erase(key);
  l.attributes = DumpJson(line);
  return l;
}

// The invoice's own fields from the document; lifecycle, totals and keys
// are already in `r` from the version-1 columns.
void HeaderFrom(const json& doc, InvoiceRecord& r) {
  std::string tz = Text(doc, "timezone");
  r.timezone = tz == "UTC" ? "" : tz;
  r.tenant_name = Text(doc, "tenant_name");
  r.tenant_email = Text(doc, "tenant_email");
  r.tax_name = Text(doc, "tax_name");
  r.tax_rate = DecimalText(doc.at("tax_rate"));
  json attributes = json::object();
  if (doc.contains("seller")) attributes["seller"] = doc.at("seller");
  r.attributes = DumpJson(attributes);
  for (const auto& line : doc.at("lines")) r.lines.push_back(LineFrom(line));
}

constexpr const char* kV1Columns =
    "id, number, tenant_id, month, period_start, period_end, status, currency, subtotal, tax, total, issue_date, "
    "due_date, document, created_at, updated_at, finalized_at, paid_at, voided_at, void_reason, events_seq";

Result<InvoiceRecord> ReadV1(Statement& q) {
  InvoiceRecord r;
  auto col = [&](int i) { return q.getColumn(i); };
  auto opt = [&](int i) { return col(i).isNull() ? std::optional<Timestamp>() : std::optional<Timestamp>(col(i).getInt64()); };
  r.id = col(0).getString();
  r.number = col(1).isNull() ? "" : col(1).getString();
  r.tenant = col(2).getString();
  r.month = col(3).getString();
  r.period = {col(4).getInt64(), col(5).getInt64()};
  r.status = col(6).getString();
  r.currency = col(7).getString();
  r.subtotal = col(8).getString();
  r.tax = col(9).getString();
  r.total = col(10).getString();
  r.issue_date = col(11).getInt64();
  r.due_date = col(12).getInt64();
  std::string document = col(13).getString();
  r.created_at = col(14).getInt64();
  r.updated_at = col(15).getInt64();
  r.finalized_at = opt(16);
  r.paid_at = opt(17);
  r.voided_at = opt(18);
  r.void_reason = col(19).isNull() ? "" : col(19).getString();
  r.events_seq = col(20).getInt64();
  auto doc = ParseJsonExact(document);
  if (!doc.ok()) return Status::DataError(fmt::format("invoice {}: stored document is not JSON", r.id));
  try {
    RepairDoubleDigits(*doc);
    HeaderFrom(*doc, r);
  } catch (const std::exception& e) {
    return Status::DataError(fmt::format("invoice {}: stored document is unreadable: {}", r.id, e.what()));
  }
  return r;
}

}  // namespace

Status MigrateInvoiceDocuments(Database& db) {
  std::vector<InvoiceRecord> records;
  {
    Statement q(db, fmt::format("SELECT {} FROM invoices_v1 ORDER BY created_at, id", kV1Columns));
    while (q.executeStep()) {
      METER_ASSIGN_OR_RETURN(InvoiceRecord r, ReadV1(q));
      records.push_back(std::move(r));
    }
  }
  InvoiceStore invoices(db);
  for (const auto& r : records) METER_RETURN_IF_ERROR(invoices.Insert(r));
  Exec(db, "DROP TABLE invoices_v1");
  return Status::OK();
}

}  // namespace meter::store
