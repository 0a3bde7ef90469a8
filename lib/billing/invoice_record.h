// How an Invoice is stored: typed rows (store/invoice_store.h) plus, for the
// fields beyond those columns, one table of attributes per level (invoice,
// line) that says how each field is written as JSON and read back.
//
// The same table feeds the `--json` output (InvoiceToJson), so adding a field
// to invoices or lines is one edit: declare the member on Invoice or
// InvoiceLine (invoice.h) and add one entry to kInvoiceAttributes or
// kLineAttributes in invoice_record.cc, e.g. a line's filter name:
//
//   {"filter",
//    [](const InvoiceLine& l, const std::string&) { return l.filter ? json(*l.filter) : json(nullptr); },
//    [](const json& j, InvoiceLine& l) { if (!j.is_null()) l.filter = j.get<std::string>(); }},
//
// It is then stored with every line (no migration: attributes are a JSON
// column), read back, and printed in `--json`. Rows written before the field
// existed read back with the member's default. Decimals go through
// JsonNumber (quantities) or MoneyString/PriceString (money), which read
// back exactly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "billing/invoice.h"
#include "core/status.h"
#include "core/time.h"
#include "store/invoice_store.h"

namespace meter::billing {

// The invoice as rows to store, created at `created_at` and written `now`.
// events_seq is left 0 (the finalizing step sets it).
store::InvoiceRecord InvoiceToRecord(const Invoice& inv, Timestamp created_at, Timestamp now);

// The attributes column of `inv`'s row (InvoiceToRecord(inv, ...).attributes)
// without rendering its lines: for writes of the lifecycle columns only.
std::string InvoiceAttributesText(const Invoice& inv);

// The stored invoice `r` as an Invoice. DataError naming the invoice when a
// row cannot be read (a number that is not a decimal, an unknown line kind).
Result<Invoice> InvoiceFromRecord(const store::InvoiceRecord& r);

// Adds each attribute of the invoice (of the line) that applies to it to the
// JSON object `out`: the shared half of storage and InvoiceToJson.
void AddInvoiceAttributes(const Invoice& inv, nlohmann::json& out);
void AddLineAttributes(const InvoiceLine& l, const std::string& currency, nlohmann::json& out);

}  // namespace meter::billing
