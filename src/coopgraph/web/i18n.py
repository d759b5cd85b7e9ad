"""Interface text in English and Japanese, and the request's language (``?lang=ja``).

Data speaks its own languages (labels carry @en / @ja); this table only holds the words
of the interface, so a page in Japanese is Japanese throughout. Keys missing in one
language fall back to English, and a test checks that both tables have the same keys.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from flask import g, request

from ..namespaces import DCAT, DCT, FOAF, GEO, OWL, PROV, RDF, RDFS, SCHEMA, SKOS

LANGUAGES = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "site_tagline": "EU–Japan cooperation on regional and urban policy, as linked data",
        "skip": "Skip to content",
        "nav_label": "Main",
        "nav_home": "Home", "nav_search": "Search", "nav_map": "Map", "nav_timeline": "Timeline",
        "nav_network": "Network", "nav_queries": "Queries", "nav_sparql": "SPARQL", "nav_validate": "Validate",
        "nav_download": "Download", "nav_ontology": "Ontology",
        "switch_language": "日本語", "switch_language_label": "この頁を日本語で表示",
        "footer": "EU–Japan cooperation on regional and urban policy, as linked data. Data CC BY 4.0.",
        "machine_readable": "Machine-readable",
        # home
        "home_title": "EU–Japan cooperation on regional and urban policy",
        "home_intro": "coopgraph is a knowledge graph of the cooperation between the European Union and Japan "
                      "on regional and urban policy: the parties and public bodies, the Strategic Partnership "
                      "Agreement, the policy dialogues, the programmes and their city and region pairings, the "
                      "places, themes, documents and studies. Every fact names its source.",
        "home_stats": "{triples} triples in {graphs} named graphs.",
        "ways_in": "Ways in",
        "programmes": "Programmes", "themes": "Themes", "cities": "Cities", "agreements": "Agreements",
        "all_of_class": "All {count}",
        "counts_by_class": "What the graph holds",
        "class": "Class", "instances": "Instances",
        "views": "Views", "view_map": "Map of cooperating places", "view_timeline": "Timeline since 2012",
        "view_network": "Network of actors, programmes and themes",
        "tools": "For researchers and developers",
        "tool_queries": "Stored queries (questions already asked)", "tool_sparql": "SPARQL query editor",
        "tool_download": "Downloads of the whole dataset", "tool_validate": "Validate data before contributing",
        "tool_ontology": "The ontology: classes and properties",
        "search_placeholder": "A city, programme, theme… (English, 日本語, romaji)",
        "search_button": "Search", "search_label": "Search the graph",
        "none_yet": "None in the graph yet.",
        # resource
        "type": "Type", "iri": "IRI", "description": "Description",
        "facts": "Facts", "property": "Property", "value": "Value", "from_graph": "From",
        "facts_intro": "Every statement about this resource, with the named graph it comes from.",
        "inbound": "Linked from", "inbound_intro": "Other resources that point here, grouped by the property they use.",
        "inbound_truncated": "Only the first {count} links are shown.",
        "takes_part_in": "Programmes and themes", "sources": "Sources",
        "sources_intro": "Where the facts on this page come from.",
        "external_ids": "Identifiers elsewhere",
        "graphs": "Named graphs", "graphs_intro": "The graphs that hold this resource's facts.",
        "change_history": "The changes that touched this resource, with their diffs",
        "inferred": "inferred", "inferred_long": "inferred by reasoning, not stated in the data",
        "inferred_count": "Inferred by reasoning, not stated in the data (marked “inferred”): {count}.",
        "graph_data": "data: {name}", "graph_contribution": "contribution {name}",
        "graph_inferred": "inferred", "graph_ontology": "ontology", "graph_meta": "build",
        "graph_provenance": "provenance", "graph_other": "{name}",
        "source_of_fact": "source", "open_source": "open the source",
        "no_label": "(no label)", "blank_node": "a structured value",
        # ontology
        "ontology_title": "Ontology", "classes": "Classes", "properties": "Properties",
        "subclass_of": "Subclass of", "superclass_of": "Superclasses of", "has_subclasses": "Subclasses",
        "subproperty_of": "Subproperty of", "domain": "Domain", "range": "Range", "inverse_of": "Inverse of",
        "definition": "Definition", "used": "Used {count} times", "examples": "Examples",
        "instances_of": "Instances ({count})", "no_instances": "No instances yet.",
        "more_instances": "All {count} instances", "ontology_version": "Version", "licence": "Licence",
        "creator": "Creator", "contents": "Contents",
        # search
        "search_title": "Search", "results": "{count} results", "no_results": "Nothing matches.",
        "results_for": "{count} results for “{query}”", "filter_type": "Type", "filter_programme": "Programme",
        "filter_theme": "Theme", "facets": "Refine", "clear_filters": "Clear filters",
        "apply": "Apply", "previous": "Previous", "next": "Next", "page_of": "Results {start}–{end} of {total}",
        "search_help": "Matches names in English and Japanese (kanji, kana or romaji), whatever the accents or case.",
        # map
        "map_title": "Map of cooperating places",
        "map_intro": "Cities and regions in the graph that have coordinates, with a line for each pairing. "
                     "The map is drawn from the graph, so new contributions appear on it.",
        "map_overview": "Overview", "map_europe": "Europe", "map_detail": "Detail", "map_japan": "Japan",
        "map_alt": "Map of {places} places and {lines} pairing lines ({frame}).",
        "places": "Places", "pairings": "Pairings", "coordinates": "Coordinates", "place": "Place",
        "pairing": "Pairing", "participants": "Participants", "programme": "Programme",
        "not_on_map": "Taking part, but not on the map (the graph has no coordinates for them)",
        "no_places": "No place in the graph has coordinates yet.",
        "not_on_map_places": "Places taking part in programmes that the map cannot show (no coordinates in the graph)",
        # timeline
        "timeline_title": "Timeline of the cooperation",
        "timeline_intro": "Every dated fact in the graph from {year} on: agreements, dialogues, summits, "
                          "programmes, pairings and meetings.",
        "timeline_periods": "Periods", "timeline_alt": "Timeline of {count} periods from {start} to {end}.",
        "date": "Date", "what": "What", "event_start": "start", "event_end": "end",
        "filter_types": "Show only", "all_types": "All types", "no_events": "No dated facts yet.",
        # network
        "network_title": "Network of actors, programmes and themes",
        "network_intro": "Two nodes are connected when they link to each other or when a pairing, a meeting "
                         "or another resource links to both (the JSON version names those resources). Programmes "
                         "sit in the middle, themes around them and actors on the outer ring.",
        "network_alt": "Network of {nodes} nodes and {edges} connections.",
        "kind_programme": "Programmes", "kind_theme": "Themes", "kind_actor": "Actors",
        "connected_to": "Connected to", "via": "via", "direct_link": "direct link", "no_network": "Nothing to show yet.",
        "legend": "Legend",
        "network_partial": "The drawing shows the {shown} most connected of {total} actors; all are listed below.",
        # errors
        "not_found": "Not found",
    },
    "ja": {
        "site_tagline": "地域・都市政策に関する日EU協力のリンクトデータ",
        "skip": "本文へ移動",
        "nav_label": "メイン",
        "nav_home": "ホーム", "nav_search": "検索", "nav_map": "地図", "nav_timeline": "年表",
        "nav_network": "ネットワーク", "nav_queries": "保存クエリ", "nav_sparql": "SPARQL", "nav_validate": "検証",
        "nav_download": "ダウンロード", "nav_ontology": "オントロジー",
        "switch_language": "English", "switch_language_label": "Show this page in English",
        "footer": "地域・都市政策に関する日EU協力のリンクトデータ。データは CC BY 4.0。",
        "machine_readable": "機械可読形式",
        "home_title": "地域・都市政策に関する日EU協力",
        "home_intro": "coopgraph は、地域・都市政策に関する欧州連合と日本の協力のナレッジグラフです。"
                      "当事者と公的機関、戦略的パートナーシップ協定、政策対話、プログラムとその都市・地域間のペアリング、"
                      "場所、テーマ、文書と調査を収めています。すべての事実に出典があります。",
        "home_stats": "{graphs} 個の名前付きグラフに {triples} トリプル。",
        "ways_in": "入口",
        "programmes": "プログラム", "themes": "テーマ", "cities": "都市", "agreements": "協定",
        "all_of_class": "全 {count} 件",
        "counts_by_class": "グラフの内容",
        "class": "クラス", "instances": "インスタンス数",
        "views": "ビュー", "view_map": "協力する場所の地図", "view_timeline": "2012年以降の年表",
        "view_network": "主体・プログラム・テーマのネットワーク",
        "tools": "研究者・開発者向け",
        "tool_queries": "保存クエリ（よくある質問）", "tool_sparql": "SPARQL クエリエディタ",
        "tool_download": "データセット全体のダウンロード", "tool_validate": "投稿前のデータ検証",
        "tool_ontology": "オントロジー：クラスとプロパティ",
        "search_placeholder": "都市、プログラム、テーマ…（日本語・英語・ローマ字）",
        "search_button": "検索", "search_label": "グラフを検索",
        "none_yet": "まだグラフにありません。",
        "type": "種類", "iri": "IRI", "description": "説明",
        "facts": "事実", "property": "プロパティ", "value": "値", "from_graph": "出所",
        "facts_intro": "このリソースに関するすべての記述と、それを含む名前付きグラフ。",
        "inbound": "被リンク", "inbound_intro": "ここを指している他のリソース（使われているプロパティ別）。",
        "inbound_truncated": "最初の {count} 件のみ表示しています。",
        "takes_part_in": "プログラムとテーマ", "sources": "出典",
        "sources_intro": "この頁の事実の出典。",
        "external_ids": "外部識別子",
        "graphs": "名前付きグラフ", "graphs_intro": "このリソースの事実を含むグラフ。",
        "change_history": "このリソースに関わった変更（差分つき）",
        "inferred": "推論", "inferred_long": "データに記述されたものではなく、推論によるもの",
        "inferred_count": "データに記述されず推論によるもの（「推論」と表示）：{count} 件。",
        "graph_data": "データ: {name}", "graph_contribution": "投稿 {name}",
        "graph_inferred": "推論", "graph_ontology": "オントロジー", "graph_meta": "ビルド",
        "graph_provenance": "来歴", "graph_other": "{name}",
        "source_of_fact": "出典", "open_source": "出典を開く",
        "no_label": "（ラベルなし）", "blank_node": "構造化された値",
        "ontology_title": "オントロジー", "classes": "クラス", "properties": "プロパティ",
        "subclass_of": "上位クラス", "superclass_of": "上位クラス", "has_subclasses": "下位クラス",
        "subproperty_of": "上位プロパティ", "domain": "定義域", "range": "値域", "inverse_of": "逆プロパティ",
        "definition": "定義", "used": "{count} 回使用", "examples": "例",
        "instances_of": "インスタンス（{count} 件）", "no_instances": "まだインスタンスはありません。",
        "more_instances": "全 {count} 件のインスタンス", "ontology_version": "バージョン", "licence": "ライセンス",
        "creator": "作成者", "contents": "目次",
        "search_title": "検索", "results": "{count} 件", "no_results": "該当するものはありません。",
        "results_for": "「{query}」の検索結果 {count} 件", "filter_type": "種類", "filter_programme": "プログラム",
        "filter_theme": "テーマ", "facets": "絞り込み", "clear_filters": "絞り込みを解除",
        "apply": "適用", "previous": "前へ", "next": "次へ", "page_of": "{total} 件中 {start}–{end} 件",
        "search_help": "英語と日本語（漢字・かな・ローマ字）の名前を、アクセントや大文字小文字を区別せずに検索します。",
        "map_title": "協力する場所の地図",
        "map_intro": "座標を持つグラフ内の都市と地域、そしてペアリングごとの線。地図はグラフから描かれるため、新しい投稿もすぐに反映されます。",
        "map_overview": "全体", "map_europe": "ヨーロッパ", "map_detail": "詳細", "map_japan": "日本",
        "map_alt": "{places} 箇所と {lines} 本のペアリング線の地図（{frame}）。",
        "places": "場所", "pairings": "ペアリング", "coordinates": "座標", "place": "場所",
        "pairing": "ペアリング", "participants": "参加者", "programme": "プログラム",
        "not_on_map": "参加しているが地図にないもの（グラフに座標がありません）",
        "no_places": "座標を持つ場所はまだグラフにありません。",
        "not_on_map_places": "プログラムに参加しているが地図に表示できない場所（グラフに座標がありません）",
        "timeline_title": "協力の年表",
        "timeline_intro": "{year} 年以降のグラフ内の日付付きの事実：協定、対話、首脳会議、プログラム、ペアリング、会議。",
        "timeline_periods": "期間", "timeline_alt": "{start} 年から {end} 年までの {count} 件の期間の年表。",
        "date": "日付", "what": "内容", "event_start": "開始", "event_end": "終了",
        "filter_types": "表示する種類", "all_types": "すべての種類", "no_events": "日付付きの事実はまだありません。",
        "network_title": "主体・プログラム・テーマのネットワーク",
        "network_intro": "互いにリンクしているか、ペアリングや会議などのリソースが両方にリンクしている場合に、二つのノードがつながります（JSON 版にはそのリソースも記載）。"
                         "中央にプログラム、その周りにテーマ、外周に主体を配置しています。",
        "network_alt": "{nodes} 個のノードと {edges} 本のつながりのネットワーク。",
        "kind_programme": "プログラム", "kind_theme": "テーマ", "kind_actor": "主体",
        "connected_to": "つながり", "via": "経由", "direct_link": "直接のリンク", "no_network": "まだ表示するものがありません。",
        "legend": "凡例",
        "network_partial": "図には {total} の主体のうち、つながりの多い {shown} を示しています。すべて下に一覧があります。",
        "not_found": "見つかりません",
    },
}

#: Names of widely used properties outside our ontology (which has its own labels).
STANDARD_NAMES: dict[str, tuple[str, str]] = {
    RDF + "type": ("type", "種類"),
    RDFS + "label": ("label", "ラベル"),
    RDFS + "comment": ("comment", "注釈"),
    RDFS + "seeAlso": ("see also", "関連"),
    RDFS + "subClassOf": ("subclass of", "上位クラス"),
    RDFS + "subPropertyOf": ("subproperty of", "上位プロパティ"),
    RDFS + "domain": ("domain", "定義域"),
    RDFS + "range": ("range", "値域"),
    SKOS + "prefLabel": ("preferred label", "優先ラベル"),
    SKOS + "altLabel": ("alternative label", "別名"),
    SKOS + "definition": ("definition", "定義"),
    SKOS + "broader": ("broader theme", "上位テーマ"),
    SKOS + "narrower": ("narrower theme", "下位テーマ"),
    SKOS + "inScheme": ("in scheme", "スキーム"),
    SKOS + "exactMatch": ("exact match", "完全一致"),
    SKOS + "closeMatch": ("close match", "近似一致"),
    SKOS + "topConceptOf": ("top concept of", "最上位概念"),
    SKOS + "hasTopConcept": ("top concept", "最上位概念"),
    OWL + "sameAs": ("same as", "同一"),
    OWL + "inverseOf": ("inverse of", "逆プロパティ"),
    DCT + "source": ("source", "出典"),
    DCT + "title": ("title", "タイトル"),
    DCT + "description": ("description", "説明"),
    DCT + "publisher": ("publisher", "発行者"),
    DCT + "creator": ("creator", "作成者"),
    DCT + "license": ("licence", "ライセンス"),
    DCT + "issued": ("issued", "発行日"),
    DCT + "modified": ("modified", "更新日"),
    DCT + "language": ("language", "言語"),
    DCT + "format": ("format", "形式"),
    DCT + "date": ("date", "日付"),
    DCT + "identifier": ("identifier", "識別子"),
    DCT + "isPartOf": ("part of", "一部"),
    DCT + "hasPart": ("has part", "構成要素"),
    DCAT + "distribution": ("distribution", "配布"),
    DCAT + "downloadURL": ("download address", "ダウンロードURL"),
    DCAT + "byteSize": ("size in bytes", "バイト数"),
    DCAT + "mediaType": ("media type", "メディアタイプ"),
    FOAF + "name": ("name", "名前"),
    FOAF + "page": ("web page", "ウェブページ"),
    FOAF + "homepage": ("home page", "ホームページ"),
    GEO + "lat": ("latitude", "緯度"),
    GEO + "long": ("longitude", "経度"),
    PROV + "wasDerivedFrom": ("derived from", "派生元"),
    PROV + "hadPrimarySource": ("primary source", "一次資料"),
    SCHEMA + "name": ("name", "名前"),
    SCHEMA + "url": ("web address", "URL"),
    SCHEMA + "latitude": ("latitude", "緯度"),
    SCHEMA + "longitude": ("longitude", "経度"),
    SCHEMA + "startDate": ("start date", "開始日"),
    SCHEMA + "endDate": ("end date", "終了日"),
    RDF + "subject": ("statement about", "記述対象"),
    RDF + "predicate": ("statement property", "記述プロパティ"),
    RDF + "object": ("statement value", "記述値"),
}


def current_lang() -> str:
    """The request's language: ``?lang=ja`` or English; worked out on first use only."""
    lang = g.get("lang")
    if lang is None:
        wanted = request.args.get("lang", "")
        lang = g.lang = wanted if wanted in LANGUAGES else "en"
    return lang


def t(key: str, **values) -> str:
    """The interface text for ``key`` in the request's language (English if untranslated)."""
    lang = current_lang()
    text = MESSAGES.get(lang, {}).get(key) or MESSAGES["en"].get(key, key)
    return text.format(**values) if values else text


def standard_name(iri: str, lang: str) -> str | None:
    names = STANDARD_NAMES.get(iri)
    return (names[1] if lang == "ja" else names[0]) if names else None


def with_lang(url: str, lang: str | None = None) -> str:
    """Keep the reader's language on internal links (``?lang=ja``); English needs no parameter."""
    lang = lang or current_lang()
    if not url.startswith("/") or url.startswith("//"):
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    if lang != "en":
        query.append(("lang", lang))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def switch_url() -> str:
    """This very page in the other language."""
    other = "en" if current_lang() == "ja" else "ja"
    return with_lang(request.full_path if request.query_string else request.path, other)


def install(app) -> None:
    """Give templates ``t``, ``lang`` and the helpers (the language is chosen lazily)."""
    @app.context_processor
    def _inject():
        return {"t": t, "lang": current_lang(), "with_lang": with_lang, "switch_url": switch_url}
