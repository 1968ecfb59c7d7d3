"""How a customer is named where a person reads it: its name, with the tenant id where two
customers of a partner share a name, else the tenant id."""

from __future__ import annotations

import polars as pl


def customer_labels(usage: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row per partner and tenant: `customer`, the tenant's latest name (`customer_name`),
    "name (tenant id)" where another tenant of the partner has the same name, or the tenant id
    when no row names it.

    Examples
    --------
    >>> usage = pl.DataFrame({"partner_id": ["P1"] * 4, "tenant_id": ["t1", "t2", "t3", "t4"],
    ...                       "month": [None] * 4, "customer_name": ["Contoso", "Fabrikam", "Fabrikam", None]})
    >>> customer_labels(usage).sort("tenant_id")["customer"].to_list()
    ['Contoso', 'Fabrikam (t2)', 'Fabrikam (t3)', 't4']
    """
    frame = usage.lazy()
    if "customer_name" not in frame.collect_schema().names():
        frame = frame.with_columns(pl.lit(None, pl.String).alias("customer_name"))
    names = (frame.select("partner_id", "tenant_id", "month", pl.col("customer_name").cast(pl.String))
             .with_columns(pl.col("partner_id").cast(pl.String), pl.col("tenant_id").cast(pl.String))
             .sort("month", "customer_name", nulls_last=False)
             .group_by("partner_id", "tenant_id").agg(pl.col("customer_name").drop_nulls().last()))
    shared = pl.col("tenant_id").n_unique().over("partner_id", "customer_name") > 1
    label = (pl.when(pl.col("customer_name").is_null()).then(pl.col("tenant_id"))
             .when(shared).then(pl.format("{} ({})", "customer_name", "tenant_id"))
             .otherwise(pl.col("customer_name")))
    return names.with_columns(label.alias("customer")).select("partner_id", "tenant_id", "customer").collect()
