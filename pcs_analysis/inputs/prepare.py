"""The usage table prepared for the rules: matching workload keys, month indexes and product
families, shared by the engine, the explanations and the report of inputs no rule reads."""

from __future__ import annotations

import polars as pl

from pcs_analysis.inputs.read import PartnerData
from pcs_analysis.rules import Rulebook
from pcs_analysis.rules.periods import month_index_expr


def prepare_usage(data: PartnerData, rules: Rulebook) -> pl.LazyFrame:
    """The usage table with matching keys and month indexes.

    Adds `workload_key` (normalised, aliases resolved), `month_index`, `assoc_month` (month index
    of `associated_on`, null when unknown) and `paid`/`active` (nulls read as 0); a row without a
    `product` gets its workload's (`name_columns`).
    """
    workload_key, product = name_columns(data.usage, rules)
    # Categorical keys: cheaper to hash, join and hold than strings (outputs cast back).
    return data.usage.select(
        pl.col("partner_id").cast(pl.Categorical),
        pl.col("tenant_id").cast(pl.Categorical),
        pl.col("workload").cast(pl.Categorical),
        workload_key.cast(pl.Categorical).alias("workload_key"),
        pl.col("association").cast(pl.Categorical),
        month_index_expr(pl.col("month")).alias("month_index"),
        month_index_expr(pl.col("associated_on")).alias("assoc_month"),
        pl.col("paid_units").fill_null(0).alias("paid"),
        pl.col("active_units").fill_null(0).alias("active"),
        # Whole cents: integer sums are exact and do not depend on the order of summation, so
        # the same input always gives byte-identical results.
        (pl.col("revenue_usd").fill_null(0.0) * 100).round(0).cast(pl.Int64).alias("revenue_cents"),
        pl.col("customer_segment"),
        product.cast(pl.Categorical).alias("product"),
    )


def name_columns(usage: pl.LazyFrame, rules: Rulebook) -> tuple[pl.Expr, pl.Expr]:
    """A usage table's workload key (case, spacing and aliases resolved) and product family (its
    `product`, else the one its workload has in the rulebook: the Azure catalog and the areas'
    tagged lists; null when neither knows it), as string expressions over its rows.

    Each distinct workload name is keyed once, not once per row: the name normalisation is
    string work, and a table has few names and many rows.
    """
    key, product, _ = usage_names(usage, rules)
    return key, product


def usage_names(usage: pl.LazyFrame, rules: Rulebook) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """`name_columns`, and whether a row is read as Azure for its revenue
    (`Rulebook.infer_azure_from_revenue`: no `product`, a workload no list of the rulebook names,
    revenue and no seat units), from one look at the table's workload names."""
    key, by_name, given = _names(usage, rules)
    inferred = ((_blank(given) & by_name.is_null() & _azure_by_revenue()).fill_null(False)
                if rules.infer_azure_from_revenue else pl.lit(False))
    product = pl.when(_blank(given)).then(by_name).otherwise(given)
    product = pl.when(inferred).then(pl.lit("azure")).otherwise(product)
    return key, product, inferred


def _names(usage: pl.LazyFrame, rules: Rulebook) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The workload key, the product family its name has in the rulebook, and the given product."""
    names = usage.select(pl.col("workload").unique()).collect()["workload"].drop_nulls().to_list()
    keys = dict(zip(names, pl.select(rules.workload_key_expr(pl.Series(names, dtype=pl.String)))
                    .to_series().to_list(), strict=True)) if names else {}
    families = dict(rules.workload_products)
    inferred = {name: families.get(key) for name, key in keys.items()}
    workload = pl.col("workload").cast(pl.String)
    return (workload.replace_strict(keys, default=None, return_dtype=pl.String),
            workload.replace_strict(inferred, default=None, return_dtype=pl.String),
            pl.col("product").cast(pl.String))


def _blank(text: pl.Expr) -> pl.Expr:
    return text.is_null() | (text.str.strip_chars() == "")


def _azure_by_revenue() -> pl.Expr:
    """Revenue and no seat units: how an Azure row looks (Microsoft 365 rows carry seats)."""
    return (pl.col("revenue_usd").is_not_null() & (pl.col("paid_units").fill_null(0) == 0)
            & (pl.col("active_units").fill_null(0) == 0))
