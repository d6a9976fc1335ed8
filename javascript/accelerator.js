// Accelerator: "Render final" / "Draft again" and small page helpers. One global: window.accelerator.
//
// The buttons run in the browser: they read the seed of the image selected in the gallery from the
// WebUI's generation info (a hidden textarea holding Processed.js()), put it into the tab's seed field,
// switch the Accelerator accordion off (final) or on (draft) and press Generate. The user's own steps,
// CFG, sampler and schedule are in the main controls, which Accelerator never changes.

window.accelerator = (function() {
    'use strict';

    var batches = {}; // tab -> batch count and size before "Render final" set them to 1

    function app() {
        return gradioApp();
    }

    function accordionId(tab) {
        return 'script_' + tab + '_accelerator_accelerator';
    }

    function numberInput(elemId) {
        return app().querySelector('#' + elemId + ' input[type=number]') || app().querySelector('#' + elemId + ' input');
    }

    function readNumber(elemId) {
        var input = numberInput(elemId);
        return input ? Number(input.value) : NaN;
    }

    function writeNumber(elemId, value) {
        var input = numberInput(elemId);
        if (!input || value === undefined || value === null) {
            return false;
        }
        input.value = String(value);
        updateInput(input);
        return true;
    }

    function generationInfo(tab) {
        var area = app().querySelector('#generation_info_' + tab + ' textarea');
        if (!area || !area.value) {
            return null;
        }
        try {
            return JSON.parse(area.value);
        } catch (e) {
            return null;
        }
    }

    // The index into all_seeds of the image selected in this tab's gallery. The gallery may start with
    // the grid (index_of_first_image is then 1); the grid, or no selection, means the first image.
    function selectedImage(tab, info) {
        var shown = typeof selected_gallery_index === 'function' ? selected_gallery_index() : -1;
        var index = shown - (info.index_of_first_image || 0);
        return index >= 0 && index < info.all_seeds.length ? index : 0;
    }

    // Without the generation info (a host that does not render hidden fields): the infotext shown under
    // the gallery, which follows the selected image.
    function seedFromInfotext(tab) {
        var shown = app().querySelector('#html_info_' + tab);
        var found = shown && /(?:^|[\s,])Seed:\s*(\d+)/.exec(shown.textContent || '');
        return found ? {seed: Number(found[1]), subseed: null, subseedStrength: 0} : null;
    }

    function selectedSeed(tab) {
        var info = generationInfo(tab);
        if (!info || !Array.isArray(info.all_seeds) || info.all_seeds.length === 0) {
            return seedFromInfotext(tab);
        }
        var index = selectedImage(tab, info);
        return {
            seed: info.all_seeds[index],
            subseed: Array.isArray(info.all_subseeds) ? info.all_subseeds[index] : null,
            subseedStrength: Number(info.subseed_strength) || 0,
        };
    }

    function enabledBox(tab) {
        return app().querySelector('#' + accordionId(tab) + '-visible-checkbox');
    }

    function setEnabled(tab, on) {
        var box = enabledBox(tab);
        if (box && box.checked !== on) {
            // A click unlinks the checkbox from the accordion's open state (inputAccordion.js): the panel
            // stays open while off, so "Draft again" is still at hand.
            box.click();
        }
        return Boolean(box);
    }

    function oneImage(tab) {
        var count = readNumber(tab + '_batch_count');
        var size = readNumber(tab + '_batch_size');
        if (count > 1 || size > 1) {
            batches[tab] = {count: count, size: size};
            writeNumber(tab + '_batch_count', 1);
            writeNumber(tab + '_batch_size', 1);
        }
    }

    function restoreBatch(tab) {
        var saved = batches[tab];
        if (saved) {
            writeNumber(tab + '_batch_count', saved.count);
            writeNumber(tab + '_batch_size', saved.size);
            delete batches[tab];
        }
    }

    function regenerate(tab, accelerated) {
        var picked = selectedSeed(tab);
        if (picked) {
            writeNumber(tab + '_seed', picked.seed);
            if (picked.subseedStrength > 0) {
                writeNumber(tab + '_subseed', picked.subseed);
            }
        }
        if (accelerated) {
            restoreBatch(tab);
        } else {
            oneImage(tab);
        }
        setEnabled(tab, accelerated);
        // Let gradio take the new values in before the click reads them.
        setTimeout(function() {
            var button = app().querySelector('#' + tab + '_generate');
            if (button) {
                button.click();
            }
        }, 250);
        return [];
    }

    function translated(text) {
        var table = window.localization || {};
        return table[text] || text;
    }

    // A1111 shows a component's tooltip as its title (hints.js). SD.Next keeps it in the page config only
    // (modules/gr_hijack.py: props.webui_tooltip) and shows none, so the panel's buttons would have no title
    // and no spoken name: give them their title here.
    function addTitles() {
        var components = (window.gradio_config && window.gradio_config.components) || [];
        components.forEach(function(component) {
            var props = component && component.props;
            if (!props || !props.webui_tooltip || typeof props.elem_id !== 'string' || props.elem_id.indexOf('_accelerator_') < 0) {
                return;
            }
            var element = app().querySelector('#' + props.elem_id);
            if (element && !element.title) {
                element.title = translated(props.webui_tooltip);
            }
        });
    }

    // Tool buttons show an emoji; give every button of the panel a spoken name from its tooltip.
    function labelButtons() {
        addTitles();
        app().querySelectorAll('button[id*=_accelerator_][title], [id*=_accelerator_] button[title]').forEach(function(button) {
            if (!button.getAttribute('aria-label')) {
                button.setAttribute('aria-label', button.title);
            }
        });
    }

    // gradio serves the page config of server start: the recipe lists and the status line are fetched
    // again for each page. A click right at load can be lost before gradio listens, so it is repeated
    // until the answer has arrived.
    function refreshLists(tab, attempt) {
        var refresh = app().querySelector('#' + accordionId(tab) + '_recipe_refresh');
        var answer = app().querySelector('#' + accordionId(tab) + '_recipe_status .accelerator-status');
        if (!refresh || answer || attempt >= 15) {
            return;
        }
        refresh.click();
        setTimeout(function() {
            refreshLists(tab, attempt + 1);
        }, 2000);
    }

    // A generation downloads the variant's LoRA on first use, but the status line was rendered before and
    // still says "not downloaded yet". The WebUI rewrites the tab's infotext (#html_info_<tab>) when a job
    // ends, so each rewrite asks the server for the status line again through the panel's hidden status
    // button (the recipe refresh would also reset the recipe messages). Choosing another image in the
    // gallery rewrites the infotext too: that costs one small request and shows the same line. The timer
    // folds the several mutations of one rewrite into one request.
    function watchGenerations(tab) {
        var info = app().querySelector('#html_info_' + tab);
        if (!info || typeof MutationObserver !== 'function') {
            return;
        }
        var pending = null;
        new MutationObserver(function() {
            clearTimeout(pending);
            pending = setTimeout(function() {
                var button = app().querySelector('#' + accordionId(tab) + '_status_refresh');
                var box = enabledBox(tab);
                if (button && box && box.checked) {
                    button.click();
                }
            }, 300);
        }).observe(info, {childList: true, subtree: true, characterData: true});
    }

    function setup() {
        ['txt2img', 'img2img'].forEach(function(tab) {
            refreshLists(tab, 0);
            watchGenerations(tab);
        });
        labelButtons();
    }

    onUiLoaded(setup);
    onAfterUiUpdate(labelButtons);

    return {
        renderFinal: function(tab) {
            return regenerate(tab, false);
        },
        draftAgain: function(tab) {
            return regenerate(tab, true);
        },
        selectedSeed: selectedSeed,
        confirmDelete: function(id, method, variant) {
            if (!id || !window.confirm(translated('Delete this recipe file?'))) {
                return ['', method, variant];
            }
            return [id, method, variant];
        },
    };
})();
