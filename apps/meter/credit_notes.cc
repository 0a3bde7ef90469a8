// invoice credit (registered with the invoice group) and credit-notes list /
// show (SPEC section 11). Flags in, library calls, printing out.
#include <fmt/format.h>

#include "billing/credit_notes.h"
#include "context.h"
#include "core/format.h"
#include "core/money.h"
#include "output.h"

namespace meter::cli {
namespace {

struct CreditNoteArgs {
  std::string invoice, amount, reason, tenant, number, format = "text", out;
  std::vector<int> lines;
  bool refund = false;
};

CreditNoteArgs& Args() {
  static CreditNoteArgs a;
  return a;
}

int RunCredit(const Context& ctx, const CreditNoteArgs& a) {
  billing::CreditNoteRequest r{a.invoice, std::nullopt, a.lines, a.reason, a.refund};
  if (!a.amount.empty()) {
    auto amount = Decimal::Parse(a.amount);
    if (!amount.ok()) return ctx.Fail(Status::InvalidArgument("--amount: " + amount.status().message()));
    r.amount = *amount;
  }
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto n = billing::IssueCreditNote(**db, r, Clock::Now());
  if (!n.ok()) return ctx.Fail(n.status());
  if (ctx.json()) {
    PrintJson(billing::CreditNoteToJson(*n));
    return kExitOk;
  }
  fmt::print("credit note {} for invoice {}: {} {} ({} + tax {}){}\n", n->number, n->invoice_number, n->currency,
             MoneyText(n->total, n->currency), MoneyText(n->amount, n->currency), MoneyText(n->tax, n->currency),
             n->refunded ? ", refunded" : !n->grant_id.empty() ? ", credited as grant " + n->grant_id : "");
  return kExitOk;
}

int RunList(const Context& ctx, const CreditNoteArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto notes = billing::ListCreditNotes(**db, a.tenant);
  if (!notes.ok()) return ctx.Fail(notes.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& n : *notes) rows.push_back(billing::CreditNoteToJson(n));
    PrintJson({{"credit_notes", rows}});
    return kExitOk;
  }
  Table t({"number", "invoice", "tenant", "issued", "amount", "tax", "total", "currency", "settled", "reason"},
          {false, false, false, false, true, true, true, false, false, false});
  for (const auto& n : *notes)
    t.Add({n.number, n.invoice_number, n.tenant, FormatDate(n.created_at), MoneyText(n.amount, n.currency),
           MoneyText(n.tax, n.currency), MoneyText(n.total, n.currency), n.currency,
           n.refunded ? "refunded" : n.grant_id.empty() ? "amount due" : "credit grant", n.reason});
  PrintTable(t, a.format);
  return kExitOk;
}

int RunShow(const Context& ctx, const CreditNoteArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto n = billing::GetCreditNote(**db, a.number);
  if (!n.ok()) return ctx.Fail(n.status());
  auto text = billing::RenderCreditNote(*n, ctx.json() ? "json" : a.format);
  if (!text.ok()) return ctx.Fail(text.status());
  return PrintOrWrite(ctx, *text, a.out);
}

}  // namespace

void AddInvoiceCreditCommand(CLI::App& invoice, Context& ctx) {
  CreditNoteArgs& a = Args();
  auto* cr = AddCommand(invoice, ctx, "credit", "Issue a credit note against a finalized invoice",
                        [&ctx, &a] { return RunCredit(ctx, a); });
  cr->add_option("id", a.invoice, "Invoice number or id")->required();
  auto* amount = cr->add_option("--amount", a.amount, "Amount to credit before tax, spread over the lines");
  auto* line = cr->add_option("--line", a.lines, "Credit this whole line (1-based; repeatable)");
  amount->excludes(line);
  cr->add_option("--reason", a.reason, "Why")->required();
  cr->add_flag("--refund", a.refund, "Record it as refunded instead of a credit grant");
}

void RegisterCreditNoteCommands(CLI::App& app, Context& ctx) {
  CreditNoteArgs& a = Args();
  auto* cn = app.add_subcommand("credit-notes", "Credit notes issued against invoices");
  cn->require_subcommand(1);
  auto* list = AddCommand(*cn, ctx, "list", "List credit notes", [&ctx, &a] { return RunList(ctx, a); });
  list->add_option("--tenant", a.tenant, "Only this tenant");
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* show = AddCommand(*cn, ctx, "show", "Show one credit note", [&ctx, &a] { return RunShow(ctx, a); });
  show->add_option("number", a.number, "Credit note number")->required();
  show->add_option("--format", a.format, "text, json, csv, md or html")
      ->check(CLI::IsMember({"text", "json", "csv", "md", "html"}));
  show->add_option("--out", a.out, "Write to this file instead of stdout");
}

}  // namespace meter::cli
