// Schema version 2's step in C++: version-1 invoice documents to typed rows.
#pragma once

#include "core/status.h"
#include "store/database.h"

namespace meter::store {

// Reads every row of `invoices_v1` (the version-1 table: columns plus the
// invoice's CLI JSON in `document`), writes it as an `invoices` row and one
// `invoice_lines` row per line, then drops `invoices_v1`. Lifecycle fields
// come from the old columns (they were authoritative). The line fields that
// are not columns are kept, as the document had them, in `attributes`, which
// is the form lib/billing reads. Numbers are read from their literal text;
// a literal of more than 15 significant digits that a double wrote for a
// shorter decimal (version 1 printed 3328.325063 as 3328.3250629999998) is
// read as that decimal. Runs inside the migration's transaction; a document
// that is not an invoice is a DataError naming the invoice.
Status MigrateInvoiceDocuments(Database& db);

}  // namespace meter::store
