"""The language switched from Settings, in the real (offscreen) window: every screen's text
changes at once, nothing the catalog translates is left in English, and Chinese is drawn
with glyphs, not the boxes a font without them draws."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.ui.catalogs import DOMAIN, LANGUAGES, LOCALE_DIR

from .conftest import pump

SCREENS = ("chat", "models", "discover", "tools", "settings")
# Words a Chinese window keeps in Latin letters: names, units, formats, keys people type.
LATIN_KEPT_WORDS = (
    "api gpu cpu ram json gguf mcp http https url rpc mb mib gb kb llamadesk llama cpp server "
    "hugging face ollama openai anthropic smollm2 markdown jinja gbnf ctrl enter shift top min "
    "mmap mlock stdio uvx npx docker claude desktop cursor studio lm mcpservers name value host "
    "port hf endpoint proxy auto none registry example namespace model tag time tool provider "
    "think flash attn on co models chatml gemma mistral phi3 llama3 llama2 tok add import list "
    "serve remote rpc-worker mirror com huggingface run worker linux smollm2-135m "
    "mcp-server-time llama-server flash-attn documents starter lookup f16 f32 token attention"
)
LATIN_KEPT = set(LATIN_KEPT_WORDS.split())
# Text that is not the window's own: a plugin's tools and names (third-party), and the one
# note the core's system.metrics writes in words (core/services/system_metrics.py).
NOT_OURS_CLASSES = {"PluginRow", "McpToolLine"}
NOT_OURS_TEXT = re.compile(r"No GPU figures: .*")


def catalog_of(language: str) -> gettext.NullTranslations:
    """The language's catalog read here, apart from the app's own loading."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=language == "en")


def widgets(root: Any) -> Iterator[Any]:
    yield root
    for child in root.children:
        yield from widgets(child)


def shown_texts(window: Any) -> list[str]:
    """Every label's text and every empty field's hint in the window, as drawn."""
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    texts = []
    for widget in widgets(window):
        if isinstance(widget, Label) and widget.text and widget.opacity > 0:
            texts.append(widget.text)
        elif isinstance(widget, TextInput) and widget.hint_text and not widget.text:
            texts.append(widget.hint_text)
    return texts


def choose_language(app: Any, code: str) -> None:
    """As a person does it: Settings, the language menu, a language's name."""
    settings = app.screens["settings"]
    app.show_screen("settings")
    pump(lambda: "language" in settings.inputs)
    menu = settings.inputs["language"]
    menu.is_open = True
    pump(frames=2)
    option = next(w for w in menu._dropdown.container.children if w.text == LANGUAGES[code])
    option.dispatch("on_release")
    pump(lambda: app.language == code and settings.inputs["language"] is not menu)
    pump(frames=2)


@pytest.fixture()
def english_after(ui_app: Any) -> Iterator[None]:
    yield
    choose_language(ui_app, "en")


def english_left(app: Any, language: str) -> list[str]:
    """Texts on any screen that the catalog translates but the window shows in English."""
    from kivy.core.window import Window

    catalog = catalog_of(language)
    left = []
    for name in SCREENS:
        app.show_screen(name)
        pump(frames=3)
        for text in shown_texts(Window):
            if catalog.gettext(text) != text:
                left.append(f"{name}: {text!r}")
    return left


@pytest.mark.parametrize("language", ["es", "fr", "de", "zh"])
def test_switching_language_in_settings_changes_every_screen_at_once(
    ui_app: Any, english_after: None, language: str
) -> None:
    from kivy.core.window import Window

    english = set(shown_texts(Window))
    choose_language(ui_app, language)
    catalog = catalog_of(language)
    sidebar = ui_app.shell.ids.sidebar.ids
    assert sidebar.nav_settings.text == catalog.gettext("Settings") != "Settings"
    assert ui_app.shell.title == "Settings"  # the title's msgid; the header shows it translated
    settings = ui_app.screens["settings"]
    assert settings.sections["general"].text == catalog.gettext("General")
    assert settings.rows["language"].description == catalog.gettext(
        "Language of the window; it changes at once, no restart needed."
    )
    assert settings.saved_note == catalog.gettext("The window is in {language} now.").format(
        language=LANGUAGES[language]
    )
    assert set(shown_texts(Window)) != english
    assert english_left(ui_app, language) == []


def latin_words(text: str) -> list[str]:
    """The Latin words of a text, less keys and paths (identifiers, shown as such)."""
    text = re.sub(r"\[size=11sp\].*?\[/size\]|\[[^]]*\]|`[^`]*`|\S*[._/:=@<>]\S*", " ", text)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", text) if w.lower() not in LATIN_KEPT]


def test_the_chinese_window_shows_no_untranslated_words(ui_app: Any, english_after: None) -> None:
    """Beyond the catalog: a text never marked for translation shows up here in English. Lists
    of things people named (chats, models, plugins, third-party settings) are theirs."""
    from kivy.core.window import Window
    from kivy.uix.recycleview import RecycleView

    choose_language(ui_app, "zh")
    theirs = {"hello", "llamadesk_hello"}  # the tutorial plugin's section: not ours to translate
    found = []
    for name in SCREENS:
        ui_app.show_screen(name)
        pump(frames=3)
        skipped = {
            id(w) for list_ in widgets(Window) if isinstance(list_, RecycleView) for w in widgets(list_)
        }
        settings = ui_app.screens["settings"]
        for group_id, section in settings.sections.items():
            if group_id in theirs:
                skipped |= {id(w) for w in widgets(section)}
        skipped |= {
            id(w)
            for part in widgets(Window)
            if type(part).__name__ in NOT_OURS_CLASSES
            for w in widgets(part)
        }
        for row_key, row in settings.rows.items():
            if row_key.split(".")[0] in theirs:
                skipped |= {id(w) for w in widgets(row)}
        for widget in widgets(Window):
            if id(widget) in skipped:
                continue
            # A chat's title is the user's; the status bar's notice may be a command's error,
            # English when its message has no template (a worker's crash, a plugin's own).
            theirs_now = {ui_app.screens["chat"].session_title, ui_app.shell.ids.status.message}
            for text in shown_texts_of(widget):
                if text in theirs_now:
                    continue
                words = latin_words(NOT_OURS_TEXT.sub("", text))
                if words:
                    found.append(f"{name}: {text!r} {words}")
    assert found == []


def shown_texts_of(widget: Any) -> list[str]:
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    if isinstance(widget, Label) and widget.text and widget.opacity > 0:
        return [widget.text]
    if isinstance(widget, TextInput) and widget.hint_text and not widget.text:
        return [widget.hint_text]
    return []


def ink(shot: Path, widget: Any) -> Any:
    """Which pixels of the widget's text area differ from its background, in a screenshot."""
    import numpy as np
    from kivy.core.window import Window
    from matplotlib.image import imread

    pixels = imread(str(shot))[:, :, :3]
    tw, th = widget.texture_size
    x, y = widget.to_window(widget.center_x - tw / 2, widget.center_y - th / 2)
    top = Window.height - int(y + th)
    area = pixels[top : top + int(th), int(x) : int(x + tw)]
    background = pixels[top - 2, int(x)]
    return np.abs(area - background).sum(axis=2) > 0.25


def differ(a: Any, b: Any) -> float:
    """Of the pixels either ink mask covers, the share that only one of them does."""
    import numpy as np

    return float(np.sum(a != b) / max(1, np.sum(a | b)))


def test_chinese_is_drawn_with_glyphs_not_boxes(ui_app: Any, english_after: None, tmp_path: Path) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.fonts import cjk_font, use_font_for

    assert cjk_font() is not None, "no CJK font: `make system-deps` installs fonts-wqy-microhei"
    choose_language(ui_app, "zh")
    label = ui_app.shell.ids.sidebar.ids.nav_settings
    shown = label.text
    assert shown == "设置"

    def shot(text: str) -> Any:
        label.text = text
        pump(frames=3)
        return ink(Path(Window.screenshot(name=str(tmp_path / "zh.png"))), label)

    glyphs = shot(shown)
    # U+E000 is a private-use character no font draws: each one is the font's box.
    boxes = shot("\ue000" * len(shown))
    assert glyphs.shape == boxes.shape and glyphs.sum() > 20
    # Of the pixels either one inks, how many only one of them does.
    assert differ(glyphs, boxes) > 0.3, "the Chinese text is drawn as boxes"

    # The check tells the two apart: Kivy's own font, which has no Chinese, draws boxes.
    use_font_for("en")
    try:
        roboto = shot(shown)
        roboto_boxes = shot("\ue000" * len(shown))
    finally:
        use_font_for("zh")
        label.text = shown
    assert differ(roboto, roboto_boxes) < 0.05


def test_chinese_in_an_answer_is_drawn_with_glyphs_in_the_english_window(ui_app: Any, tmp_path: Path) -> None:
    """The window is English (Roboto, no CJK glyphs); a model answering in Chinese is drawn
    in the CJK font all the same, run by run."""
    from kivy.core.window import Window
    from kivy.graphics import Color, Rectangle
    from kivy.uix.label import Label

    from llamadesk.ui.fonts import script_font
    from llamadesk.ui.viewmodels.markdown_blocks import MarkupStyle, markdown_to_blocks

    assert ui_app.language == "en" and script_font(), "no CJK font: `make system-deps` installs one"
    answer = "北京市"
    markup = markdown_to_blocks(answer, MarkupStyle(script_font=script_font()))[0].markup
    assert markup == f"[font={script_font()}]北京市[/font]"
    label = Label(markup=True, font_size="40sp", size_hint=(None, None), size=(700, 120), pos=(50, 50))
    with label.canvas.before:  # a plain background, whatever screen is under it
        Color(0.1, 0.1, 0.12, 1)
        Rectangle(pos=label.pos, size=label.size)
    Window.add_widget(label)
    try:

        def shot(text: str) -> Any:
            label.text = text
            pump(frames=3)
            return ink(Path(Window.screenshot(name=str(tmp_path / "answer.png"))), label)

        glyphs = shot(markup)
        boxes = shot(f"[font={script_font()}]" + "\ue000" * 3 + "[/font]")  # that font's boxes
        roboto = shot(answer)  # the window's own font, as answers were drawn before
        roboto_boxes = shot("\ue000" * 3)
    finally:
        Window.remove_widget(label)
    assert roboto.shape == roboto_boxes.shape and differ(roboto, roboto_boxes) < 0.05  # boxes
    assert glyphs.shape == boxes.shape and glyphs.sum() > 20
    assert differ(glyphs, boxes) > 0.3, "the Chinese words are drawn as boxes"


def test_a_commands_error_is_shown_in_the_windows_language(ui_app: Any, english_after: None) -> None:
    """Loading a model the library lacks, from the chat screen of a Spanish window: the hint
    under the composer and the status bar say why in Spanish, while the same command's
    message for the CLI and the API stays English."""
    from kivy.core.window import Window

    from llamadesk.core.commands import CommandError

    chat = ui_app.screens["chat"]
    model_id, state = chat.model_id, chat.model_state
    choose_language(ui_app, "es")
    ui_app.show_screen("chat")
    try:
        chat.load_model("no-such-model:7b")
        pump(lambda: chat.model_state == "error")
        spanish = (
            "el modelo no-such-model:7b no está en la biblioteca; descárgalo con "
            "`llamadesk pull no-such-model:7b` o importa un GGUF con `llamadesk import PATH`"
        )
        pump(frames=2)
        assert chat.hint == spanish
        assert ui_app.shell.ids.status.message == spanish
        assert spanish in shown_texts(Window)
        with pytest.raises(CommandError) as caught:
            ui_app.commands.invoke("runtime.load", {"model": "no-such-model:7b"})
        assert caught.value.message.startswith("model no-such-model:7b is not in the library; pull it")
    finally:
        chat.model_id, chat.model_state = model_id, state
        ui_app.notify("")


def test_an_open_untitled_chat_says_new_chat_in_the_new_language(ui_app: Any, english_after: None) -> None:
    chat = ui_app.screens["chat"]
    chat.session_id = "an-open-chat"  # a chat whose title the model has not written yet
    chat.show_title(None)
    try:
        choose_language(ui_app, "es")
        assert chat.session_title == catalog_of("es").gettext("New chat") != "New chat"
        chat.show_title("Mi receta")
        choose_language(ui_app, "fr")
        assert chat.session_title == "Mi receta"  # a chat's own title is the user's
    finally:
        chat.session_id = ""
        chat.show_title(None)
