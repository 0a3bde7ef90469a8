// invoice generate / list / show / finalize / mark-paid / void / sweep-overdue
// / delete (SPEC section 7). Flags in, library calls, printing out.

#include <fmt/format.h>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "billing/lifecycle.h"
#include "billing/render.h"
#include "context.h"
#include "core/format.h"
#include "output.h"
#include "store/catalog_store.h"

namespace meter::cli {
namespace {

struct InvoiceArgs {
  std::string id, month, tenant, status, format = "text", out, paid_at, reason;
  bool dry_run = false, finalize = false, finalize_ended = false, explain = false;
};

void PrintInvoicesJson(const std::vector<billing::Invoice>& invoices) {
  PrintJsonList("invoices", invoices.size(), [&](size_t i) { return billing::InvoiceToJson(invoices[i]); });
}

void PrintInvoiceTable(const std::vector<billing::Invoice>& invoices, const std::string& format) {
  Table t({"number", "id", "tenant", "period", "status", "subtotal", "tax", "total", "currency", "due"},
          {false, false, false, false, false, true, true, true, false, false});
  for (const auto& inv : invoices)
    t.Add({inv.number.empty() ? "-" : inv.number, inv.id, inv.tenant, inv.period.month, inv.status,
           MoneyText(inv.subtotal, inv.currency), MoneyText(inv.tax, inv.currency), MoneyText(inv.total, inv.currency),
           inv.currency, inv.due_date});
  PrintTable(t, format);
}

int RunGenerate(const Context& ctx, const InvoiceArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto c = store::CatalogStore(**db).Load(now);
  if (!c.ok()) return ctx.Fail(c.status());
  TerminalProgress progress(ctx);
  billing::GenerateOptions o{a.month, a.tenant, a.dry_run, a.finalize || a.finalize_ended, now, &progress,
                             a.finalize_ended};
  auto r = billing::GenerateInvoices(**db, *c, o);
  progress.End();
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) PrintInvoicesJson(r->invoices);
  else PrintInvoiceTable(r->invoices, "text");
  ctx.Info(fmt::format("{}: {} invoice(s){}: {} new, {} refreshed, {} unchanged, {} already finalized{}{}", a.month,
                       r->invoices.size(), a.dry_run ? " (dry run, nothing written)" : "", r->created, r->refreshed,
                       r->unchanged, r->kept, o.finalize ? fmt::format(", {} finalized", r->finalized) : "",
                       r->not_ended ? fmt::format(", {} left as drafts (period not ended)", r->not_ended) : ""));
  if (auto bp = billing::MonthPeriod(a.month); bp.ok() && now < bp->period.end)
    ctx.Warn(fmt::format("{} has not ended yet: usage still to come is not on these invoices", a.month));
  return kExitOk;
}

int RunList(const Context& ctx, const InvoiceArgs& a) {
  if (!a.month.empty())
    if (auto bp = billing::MonthPeriod(a.month); !bp.ok()) return ctx.Fail(bp.status());
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto list = billing::ListInvoices(**db, {a.tenant, a.month, a.status});
  if (!list.ok()) return ctx.Fail(list.status());
  if (ctx.json()) PrintInvoicesJson(*list);
  else PrintInvoiceTable(*list, a.format);
  return kExitOk;
}

int RunShow(const Context& ctx, const InvoiceArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto inv = billing::GetInvoice(**db, a.id);
  if (!inv.ok()) return ctx.Fail(inv.status());
  std::string format = ctx.json() ? "json" : a.format;
  Result<std::string> text = a.explain ? billing::RenderExplain(*inv) : billing::Render(*inv, format);
  if (!text.ok()) return ctx.Fail(text.status());
  return PrintOrWrite(ctx, *text, a.out);
}

// Prints the invoice a lifecycle step left behind: JSON, or one line.
int Report(const Context& ctx, const Result<billing::Invoice>& inv, const std::string& verb) {
  if (!inv.ok()) return ctx.Fail(inv.status());
  if (ctx.json()) {
    PrintJson(billing::InvoiceToJson(*inv));
    return kExitOk;
  }
  fmt::print("{} {} ({} {}, id {}): total {} {}, due {}\n", verb, inv->number.empty() ? inv->id : inv->number,
             inv->tenant, inv->period.month, inv->id, inv->currency, MoneyText(inv->total, inv->currency), inv->due_date);
  return kExitOk;
}

int RunFinalize(const Context& ctx, const InvoiceArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto inv = billing::FinalizeInvoice(**db, a.id, now);
  if (inv.ok() && now < inv->period.period.end)
    ctx.Warn(fmt::format("{} has not ended yet: later usage will be billed as an adjustment", inv->period.month));
  return Report(ctx, inv, "finalized");
}

int RunMarkPaid(const Context& ctx, const InvoiceArgs& a) {
  Timestamp paid_at = Clock::Now();
  if (!a.paid_at.empty()) {
    auto t = ParseTimeArg(a.paid_at);
    if (!t.ok()) return ctx.Fail(Status::InvalidArgument("--paid-at: " + t.status().message()));
    paid_at = *t;
  }
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  return Report(ctx, billing::MarkPaid(**db, a.id, paid_at, Clock::Now()), "paid");
}

int RunVoid(const Context& ctx, const InvoiceArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  return Report(ctx, billing::VoidInvoice(**db, a.id, a.reason, Clock::Now()), "voided");
}

int RunSweep(const Context& ctx) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto swept = billing::SweepOverdue(**db, Clock::Now());
  if (!swept.ok()) return ctx.Fail(swept.status());
  if (ctx.json()) PrintInvoicesJson(*swept);
  else if (!swept->empty()) PrintInvoiceTable(*swept, "text");
  ctx.Info(fmt::format("{} invoice(s) marked overdue", swept->size()));
  return kExitOk;
}

int RunDelete(const Context& ctx, const InvoiceArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (Status st = billing::DeleteDraft(**db, a.id); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("deleted draft {}", a.id));
  return kExitOk;
}

}  // namespace

void RegisterInvoiceCommands(CLI::App& app, Context& ctx) {
  static InvoiceArgs a;
  auto* inv = app.add_subcommand("invoice", "Invoices: generate, list, show and their lifecycle");
  inv->require_subcommand(1);
  auto* gen = AddCommand(*inv, ctx, "generate", "Build (or refresh) each tenant's invoice for a month",
                         [&ctx] { return RunGenerate(ctx, a); });
  gen->add_option("--period", a.month, "The month, YYYY-MM")->required();
  gen->add_option("--tenant", a.tenant, "Only this tenant");
  gen->add_flag("--dry-run", a.dry_run, "Show the invoices without writing anything");
  auto* fin_all = gen->add_flag("--finalize", a.finalize, "Finalize (number and open) the drafts generated");
  gen->add_flag("--finalize-ended", a.finalize_ended,
                "Finalize only the invoices whose period has ended (billing days); keep the others as drafts")
      ->excludes(fin_all);
  auto* list = AddCommand(*inv, ctx, "list", "List invoices", [&ctx] { return RunList(ctx, a); });
  list->add_option("--tenant", a.tenant, "Only this tenant");
  list->add_option("--period", a.month, "Only this month, YYYY-MM");
  list->add_option("--status", a.status, "Only this status")
      ->check(CLI::IsMember({"draft", "open", "paid", "overdue", "void"}));
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* show = AddCommand(*inv, ctx, "show", "Show one invoice", [&ctx] { return RunShow(ctx, a); });
  show->add_option("id", a.id, "Invoice number or draft id")->required()->type_name(kInvoiceValue);
  show->add_option("--format", a.format, "text, json, csv, md or html")
      ->check(CLI::IsMember({"text", "json", "csv", "md", "html"}));
  show->add_option("--out", a.out, "Write to this file instead of stdout");
  show->add_flag("--explain", a.explain, "How each quantity and amount was computed");
  auto* fin = AddCommand(*inv, ctx, "finalize", "Number and open a draft", [&ctx] { return RunFinalize(ctx, a); });
  fin->add_option("id", a.id, "Draft id")->required()->type_name(kInvoiceValue);
  auto* paid = AddCommand(*inv, ctx, "mark-paid", "Record payment of an open or overdue invoice",
                          [&ctx] { return RunMarkPaid(ctx, a); });
  paid->add_option("id", a.id, "Invoice number or id")->required()->type_name(kInvoiceValue);
  paid->add_option("--paid-at", a.paid_at, "When it was paid (default now)");
  auto* vd = AddCommand(*inv, ctx, "void", "Cancel an open or overdue invoice", [&ctx] { return RunVoid(ctx, a); });
  vd->add_option("id", a.id, "Invoice number or id")->required()->type_name(kInvoiceValue);
  vd->add_option("--reason", a.reason, "Why it is cancelled")->required();
  AddCommand(*inv, ctx, "sweep-overdue", "Mark open invoices past their due date overdue",
             [&ctx] { return RunSweep(ctx); });
  auto* del = AddCommand(*inv, ctx, "delete", "Delete a draft (generate recreates it)",
                         [&ctx] { return RunDelete(ctx, a); });
  del->add_option("id", a.id, "Draft id")->required()->type_name(kInvoiceValue);
  AddInvoiceCreditCommand(*inv, ctx);
}

}  // namespace meter::cli
