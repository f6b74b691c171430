"""The codes of the directory: roles of accounts and kinds of organisations; stored as text."""

from enum import StrEnum


class OrganisationKind(StrEnum):
    police = "police"
    municipal_police = "municipal_police"
    gendarmerie = "gendarmerie"
    justice = "justice"
    city = "city"
    housing_provider = "housing_provider"
    transit = "transit"
    social_services = "social_services"
    mediation = "mediation"
    education = "education"
    health = "health"
    association = "association"
    business = "business"
    residents = "residents"
    other = "other"


class UserRole(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    member = "member"


class Language(StrEnum):
    fr = "fr"
    en = "en"
